"""The volunteers of ``manage.py seed_scale`` (``accounts.scale`` describes the whole seed).

``ctx.volunteers`` people spread over the four charities' networks (a few in two), most active,
some paused, applicants, people who left and declined applications; their profiles, weekly
availability, time away, experience, onboarding checks and consent answers to each network's own
wording. Each gets an involvement weight from a Pareto distribution, so when sessions are booked
most volunteers are rarely involved and a few often.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress

from accounts.demo import demo_password_hash
from accounts.models import User
from accounts.scale import ScaleContext, insert, person_name
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    PartOfDay,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.permissions import consent_relying_choices
from volunteers.services import ensure_consent_purposes

Status = NetworkMembership.Status
Perspective = VolunteerProfile.Perspective
Action = ConsentRecord.Action
SHARE_STORY = "share-story"
SHARE_WITH_CHARITY = "share-with-charity"
# The share of volunteers in each network, demo charities first (as in ``ctx.charities``).
NETWORK_SHARES = [0.35, 0.20, 0.25, 0.20]
IN_TWO_NETWORKS = 0.05
STATUSES = [Status.ACTIVE, Status.PAUSED, Status.APPLICANT, Status.LEFT, Status.DECLINED]
STATUS_WEIGHTS = [0.80, 0.06, 0.05, 0.06, 0.03]
NEW_TAGS = {
    "stroke-voices": ["stroke survivor", "aphasia", "carer of a stroke survivor", "rehabilitation", "young stroke"],
    "mind-together": ["psychosis", "bipolar disorder", "eating disorders", "self-harm", "mental health carer"],
}
# How likely a volunteer is to agree to each purpose of a network's wording.
GRANT_LIKELIHOOD = {
    "health-information": 0.85,
    SHARE_STORY: 0.88,
    "recording": 0.5,
    "photographs": 0.35,
    "quotes-teaching": 0.75,
    "quotes-publications": 0.2,
    SHARE_WITH_CHARITY: 0.8,
    "research-contact": 0.3,
}
WORDING = "I agree to {purpose} with {organisations}. I can withdraw at any time."


@dataclass(frozen=True)
class ScaleVolunteer:
    """What the sessions part needs to book a volunteer: who, where, since when, how often."""

    profile_id: int
    user_id: int
    # Networks where they are active (matched and booked), and those they once were in.
    active_in: tuple[int, ...]
    history_in: tuple[int, ...]
    joined: datetime.date
    weight: float
    # Universities where a current "share my story" grant covers them.
    story_universities: frozenset[int]


def seed_volunteers_scale(ctx: ScaleContext) -> None:
    """Write the volunteers; ``ctx.data["volunteers"]`` lists them as ``ScaleVolunteer``."""
    purposes = {purpose.code: purpose for purpose in ensure_consent_purposes()}
    _seed_new_wording(ctx, purposes)
    texts = _current_texts(ctx)
    outdated = {
        text.network_id: text
        for text in ConsentText.objects.filter(network__in=ctx.charities, purpose__code=SHARE_STORY, version=1)
    }
    tags = _tags(ctx)
    rng = ctx.rng
    password = demo_password_hash()
    count = ctx.volunteers
    users = insert(
        User,
        (
            User(email=f"v{index:05d}@volunteers.scale.example.org", name=person_name(rng), password=password)
            for index in range(count)
        ),
        ctx,
    )
    insert(EmailAddress, (EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users), ctx)
    profiles = insert(VolunteerProfile, (_profile(ctx, user) for user in users), ctx)

    networks = [charity.pk for charity in ctx.charities]
    memberships: list[NetworkMembership] = []
    plans: list[tuple[VolunteerProfile, list[tuple[int, str, datetime.date]]]] = []
    for profile in profiles:
        first = rng.choices(networks, weights=NETWORK_SHARES, k=1)[0]
        chosen = [first]
        if rng.random() < IN_TWO_NETWORKS:
            chosen.append(rng.choice([network for network in networks if network != first]))
        joined = ctx.today - datetime.timedelta(days=int(rng.triangular(30, 1400, 200)))
        plan = []
        for network in chosen:
            status: str = rng.choices(STATUSES, weights=STATUS_WEIGHTS, k=1)[0]
            if status in (Status.APPLICANT, Status.DECLINED):
                joined_here = ctx.today - datetime.timedelta(days=rng.randint(1, 40))
            else:
                joined_here = joined
            plan.append((network, status, joined_here))
            memberships.append(_membership(ctx, profile, network, status, joined_here))
        plans.append((profile, plan))
    memberships = insert(NetworkMembership, memberships, ctx)
    insert(OnboardingCheck, (check for membership in memberships for check in _checks(ctx, membership)), ctx)
    insert(WeeklyAvailability, (slot for profile in profiles for slot in _availability(ctx, profile)), ctx)
    through = VolunteerProfile.experience_tags.through
    insert(
        through,
        (
            through(volunteerprofile_id=profile.pk, experiencetag_id=tag_id)
            for profile, plan in plans
            for tag_id in rng.sample(tags[plan[0][0]], rng.randint(1, 3))
        ),
        ctx,
        "volunteers.VolunteerProfile_experience_tags",
    )
    insert(TimeAway, (away for profile in profiles if (away := _time_away(ctx, profile)) is not None), ctx)

    records: list[ConsentRecord] = []
    volunteers: list[ScaleVolunteer] = []
    for (profile, plan), user in zip(plans, users, strict=True):
        story: set[int] = set()
        for network, status, joined_here in plan:
            if status in (Status.APPLICANT, Status.DECLINED):
                continue
            records += _consents(ctx, profile, texts[network], outdated.get(network), joined_here, status, story)
        volunteers.append(
            ScaleVolunteer(
                profile_id=profile.pk,
                user_id=user.pk,
                active_in=tuple(network for network, status, _j in plan if status == Status.ACTIVE),
                history_in=tuple(
                    network for network, status, _j in plan if status in (Status.ACTIVE, Status.PAUSED, Status.LEFT)
                ),
                joined=min(joined_here for _n, _s, joined_here in plan),
                # Pareto: most rarely involved, a few often (capped so nobody is in every session).
                weight=min(rng.paretovariate(1.15), 120.0),
                story_universities=frozenset(story),
            )
        )
    insert(ConsentRecord, records, ctx)
    ctx.data["volunteers"] = volunteers
    ctx.data["demo_volunteer"] = VolunteerProfile.objects.filter(user__email="volunteer@example.org").first()


def _seed_new_wording(ctx: ScaleContext, purposes: dict[str, ConsentPurpose]) -> None:
    """Version 1 of every purpose for each added charity, naming itself and its partners."""
    for charity in ctx.charities[2:]:
        relying = list(consent_relying_choices(charity))
        universities = [org for org in relying if org.pk != charity.pk]
        for code, purpose in purposes.items():
            text = ConsentText.objects.create(
                purpose=purpose,
                network=charity,
                version=1,
                text=WORDING.format(purpose=str(purpose).lower(), organisations=", ".join(org.name for org in relying)),
                published_at=ctx.moment(ctx.today - datetime.timedelta(days=1200), 9),
                published_by_id=ctx.leads.get(charity.pk, [None])[0],
            )
            text.organisations.set(relying if code in ("health-information", SHARE_STORY) else [charity, *universities])
            ctx.add("volunteers.ConsentText", 1)


def _current_texts(ctx: ScaleContext) -> dict[int, dict[str, tuple[ConsentText, frozenset[int]]]]:
    """Each charity's current text of each purpose, with the universities it names."""
    found: dict[int, dict[str, tuple[ConsentText, frozenset[int]]]] = {}
    universities = {org.pk for org in ctx.universities}
    for text in ConsentText.objects.filter(network__in=ctx.charities).current().select_related("purpose"):
        named = frozenset(org.pk for org in text.organisations.all() if org.pk in universities)
        found.setdefault(text.network_id, {})[text.purpose.code] = (text, named)
    return found


def _tags(ctx: ScaleContext) -> dict[int, list[int]]:
    for charity in ctx.charities[2:]:
        insert(ExperienceTag, (ExperienceTag(network=charity, name=name) for name in NEW_TAGS[charity.slug]), ctx)
    found: dict[int, list[int]] = {}
    for network_id, tag_id in ExperienceTag.objects.filter(network__in=ctx.charities).values_list("network_id", "pk"):
        found.setdefault(network_id, []).append(tag_id)
    return found


def _profile(ctx: ScaleContext, user: User) -> VolunteerProfile:
    rng = ctx.rng
    perspective = rng.choices(list(Perspective.values), weights=[0.6, 0.28, 0.08, 0.04], k=1)[0]
    payment = rng.choices(list(VolunteerProfile.PaymentPreference.values), weights=[0.7, 0.04, 0.08, 0.15, 0.03])[0]
    return VolunteerProfile(
        user=user,
        preferred_name=user.name.split(" ")[0] if rng.random() < 0.3 else "",
        pronouns=rng.choice(["", "", "she/her", "he/him", "they/them"]),
        contact_channel=rng.choices(["email", "phone", "sms", "post"], weights=[0.8, 0.08, 0.08, 0.04])[0],
        perspective=perspective,
        biography="I share what it was like, and what helped.",
        payment_preference=payment,
        naming_preference=rng.choice(list(VolunteerProfile.Naming.values)),
        step_free_access=rng.random() < 0.15,
        parking=rng.random() < 0.2,
        rest_breaks=rng.random() < 0.25,
        large_print=rng.random() < 0.08,
        longest_session_minutes=rng.choice([None, None, None, 60, 90, 120, 180]),
        attendance_mode=rng.choices(["either", "in_person", "online"], weights=[0.7, 0.2, 0.1])[0],
        monthly_session_cap=rng.choice([None, None, 1, 2, 2, 3, 4, 6]),
        travel_miles=rng.choice([None, 5, 10, 20, 30, 50]),
        created_at=ctx.now - datetime.timedelta(days=rng.randint(30, 1400)),
    )


def _membership(
    ctx: ScaleContext, profile: VolunteerProfile, network: int, status: str, joined: datetime.date
) -> NetworkMembership:
    rng = ctx.rng
    decided = status != Status.APPLICANT
    changed = (
        joined if status in (Status.ACTIVE, Status.APPLICANT) else ctx.today - datetime.timedelta(rng.randint(5, 300))
    )
    return NetworkMembership(
        volunteer=profile,
        network_id=network,
        status=status,
        statement="I would like to help students understand what it is really like.",
        heard_about=rng.choice(list(NetworkMembership.HeardAbout.values)),
        decided_at=ctx.moment(joined, 11) if decided else None,
        decided_by_id=ctx.leads[network][0] if decided else None,
        paused_until=ctx.today + datetime.timedelta(days=rng.randint(10, 120)) if status == Status.PAUSED else None,
        status_changed_at=ctx.moment(max(changed, joined), 11),
        created_at=ctx.moment(joined - datetime.timedelta(days=14), 9),
    )


def _checks(ctx: ScaleContext, membership: NetworkMembership) -> list[OnboardingCheck]:
    rng = ctx.rng
    if membership.status == Status.DECLINED:
        return []
    joined = membership.created_at.date()
    if membership.status == Status.APPLICANT:
        kinds = rng.sample([OnboardingCheck.Kind.INDUCTION, OnboardingCheck.Kind.CONFIDENTIALITY], rng.randint(0, 2))
        return [OnboardingCheck(membership=membership, kind=kind, completed_on=ctx.today) for kind in kinds]
    checks = [
        OnboardingCheck(membership=membership, kind=kind, completed_on=joined)
        for kind in (OnboardingCheck.Kind.INDUCTION, OnboardingCheck.Kind.CONFIDENTIALITY)
    ]
    if rng.random() < 0.2:
        # A DBS check for three years; a few expire within the lead's 30-day warning.
        expires = ctx.today + datetime.timedelta(days=rng.randint(-60, 1000))
        checks.append(
            OnboardingCheck(
                membership=membership,
                kind=OnboardingCheck.Kind.ROLE_CHECK,
                name="DBS check",
                completed_on=expires - datetime.timedelta(days=3 * 365),
                expires_on=expires,
            )
        )
    return checks


def _availability(ctx: ScaleContext, profile: VolunteerProfile) -> list[WeeklyAvailability]:
    rng = ctx.rng
    weekdays = [(day, part) for day in range(5) for part in PartOfDay.values]
    chosen = set(rng.sample(weekdays, rng.randint(2, 8)))
    if rng.random() < 0.15:
        chosen.add((rng.choice([5, 6]), PartOfDay.MORNING))
    return [WeeklyAvailability(volunteer=profile, weekday=day, part_of_day=part) for day, part in sorted(chosen)]


def _time_away(ctx: ScaleContext, profile: VolunteerProfile) -> TimeAway | None:
    rng = ctx.rng
    if rng.random() >= 0.06:
        return None
    starts = ctx.today + datetime.timedelta(days=rng.randint(-30, 90))
    return TimeAway(
        volunteer=profile,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=rng.choice([3, 7, 14, 21, 42])),
        note=rng.choice(["Holiday", "Treatment", "Family"]),
    )


def _consents(
    ctx: ScaleContext,
    profile: VolunteerProfile,
    texts: dict[str, tuple[ConsentText, frozenset[int]]],
    outdated: ConsentText | None,
    joined: datetime.date,
    status: str,
    story: set[int],
) -> list[ConsentRecord]:
    """Their answers to one network's wording: grants when they joined; for a network with a
    newer "share my story" text, some still on the old one (asked again); a few withdrawals,
    and everything withdrawn by those who left. Adds the universities their current story grant
    covers to ``story``."""
    rng = ctx.rng
    records = []
    at = ctx.moment(joined, 12)
    for code, (text, named) in texts.items():
        if rng.random() >= GRANT_LIKELIHOOD.get(code, 0.5):
            continue
        grant_text = text
        if code == SHARE_STORY and outdated is not None and outdated.pk != text.pk and rng.random() < 0.1:
            grant_text = outdated
        records.append(
            ConsentRecord(
                volunteer=profile, purpose_id=text.purpose_id, text=grant_text, action=Action.GRANTED, created_at=at
            )
        )
        withdrawn = status == Status.LEFT or rng.random() < 0.03
        if withdrawn:
            records.append(
                ConsentRecord(
                    volunteer=profile,
                    purpose_id=text.purpose_id,
                    text=grant_text,
                    action=Action.WITHDRAWN,
                    created_at=min(at + datetime.timedelta(days=rng.randint(1, 200)), ctx.now),
                )
            )
        elif code == SHARE_STORY and grant_text.pk == text.pk:
            story |= named
    return records
