"""Every change to volunteers' records. Views, commands and tasks call these; none re-implements a rule."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.models import Notification
from involvement.notifications import queue_notification
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

Status = NetworkMembership.Status

# Fields whose content is special-category data (see DESIGN.md): changes by anyone but the
# volunteer, and every view of them by staff, go into the ActivityLog (names only, never values).
SPECIAL_CATEGORY_FIELDS = frozenset(
    {
        "experience_tags",
        "topics_to_avoid",
        "payment_preference",
        "payment_preference_reason",
        "step_free_access",
        "parking",
        "interpreter",
        "interpreter_language",
        "hearing_loop",
        "large_print",
        "easy_read",
        "companion_attending",
        "rest_breaks",
        "dietary_needs",
        "longest_session_minutes",
        "attendance_mode",
        "other_adjustments",
    }
)
PROFILE_FIELDS = frozenset(
    {
        "preferred_name",
        "pronouns",
        "contact_channel",
        "phone",
        "postal_address",
        "perspective",
        "biography",
        "support_contact_name",
        "support_contact_details",
        "naming_preference",
        "monthly_session_cap",
        "travel_miles",
    }
    | SPECIAL_CATEGORY_FIELDS
)
CHECK_EXPIRY_WARNING_DAYS = 30
ERASED_NAME = "Erased volunteer"

# The purposes every installation offers; the data migration creates them too.
CONSENT_PURPOSES = [
    ("health-information", "Store my health information", True),
    ("share-story", "Share my story with students", False),
    ("recording", "Audio or video recording", False),
    ("photographs", "Photographs", False),
    ("quotes-teaching", "Quotes in teaching materials", False),
    ("quotes-publications", "Quotes in publications", False),
    ("share-with-charity", "Share my participation with my charity", False),
    ("research-contact", "Contact about research", False),
]


class VolunteerError(DomainError):
    """A rule about volunteers was broken; the message is safe to show."""


def ensure_consent_purposes() -> list[ConsentPurpose]:
    """Create the standard consent purposes if missing (demo data and tests; migrations do it too)."""
    purposes = []
    for order, (code, name, is_health) in enumerate(CONSENT_PURPOSES, start=1):
        purpose, _ = ConsentPurpose.objects.get_or_create(
            code=code, defaults={"name": name, "is_health_data": is_health, "order": order}
        )
        purposes.append(purpose)
    return purposes


def _leads_of(network: Organisation) -> list[User]:
    return list(
        User.objects.filter(memberships__organisation=network, memberships__role=Membership.Role.LEAD, is_active=True)
    )


def _is_staff_actor(actor: User | None, profile: VolunteerProfile) -> bool:
    return actor is not None and actor.pk != profile.user_id


# Applying and onboarding -------------------------------------------------------------------------


@transaction.atomic
def apply_to_network(
    *,
    network: Organisation,
    applicant: User | None,
    name: str,
    email: str,
    contact_channel: str,
    perspective: str,
    statement: str,
    heard_about: str = "",
) -> NetworkMembership:
    """Record an application to ``network``, creating the applicant's account if they have none.

    A signed-in ``applicant`` applies with their own account. Someone signed out gets a new
    account with no password (they sign in with an emailed code, which also verifies the
    address). Raises VolunteerError when the email already has an account (they should sign in
    first) or the person already belongs to, or has applied to, this network. Leads are emailed.
    """
    email = User.objects.normalize_email(email).strip()
    if applicant is None:
        if User.objects.filter(email__iexact=email).exists():
            raise VolunteerError(
                "There is already an account with this email address. Please sign in first, then apply."
            )
        applicant = User.objects.create_user(email=email, password=None, name=name.strip())
        EmailAddress.objects.create(user=applicant, email=email, primary=True, verified=False)
    elif not applicant.name and name:
        applicant.name = name.strip()
        applicant.save(update_fields=["name"])
    profile, _ = VolunteerProfile.objects.get_or_create(user=applicant)
    if profile.is_erased:
        raise VolunteerError("This account can no longer be used.")
    if contact_channel:
        profile.contact_channel = contact_channel
    if perspective:
        profile.perspective = perspective
    profile.save(update_fields=["contact_channel", "perspective", "updated_at"])
    membership = NetworkMembership.objects.select_for_update().filter(volunteer=profile, network=network).first()
    if membership is not None and membership.status not in {Status.LEFT, Status.DECLINED}:
        if membership.status == Status.APPLICANT:
            raise VolunteerError(f"You have already applied to {network}. A lead will be in touch.")
        raise VolunteerError(f"You are already part of {network}.")
    now = timezone.now()
    if membership is None:
        membership = NetworkMembership(volunteer=profile, network=network)
    membership.status = Status.APPLICANT
    membership.statement = statement.strip()
    membership.heard_about = heard_about
    membership.decided_at = None
    membership.decided_by = None
    membership.decision_message = ""
    membership.paused_until = None
    membership.status_changed_at = now
    membership.save()
    record_activity(actor=applicant, action="volunteer.applied", target=membership, organisation=network)
    for lead in _leads_of(network):
        queue_notification(
            template_key="volunteers/application_received",
            unique_key=f"application:{membership.pk}:{now.timestamp():.0f}:lead:{lead.pk}",
            recipient=lead,
            context={
                "network": network.name,
                "applicant": applicant.get_full_name(),
                "review_url": absolute_url(
                    reverse("volunteers:network_volunteer", kwargs={"slug": network.slug, "pk": membership.pk})
                ),
            },
        )
    return membership


def _lock_membership(membership: NetworkMembership) -> NetworkMembership:
    return (
        NetworkMembership.objects.select_for_update().select_related("network", "volunteer__user").get(pk=membership.pk)
    )


def _set_status(membership: NetworkMembership, status: str, *, actor: User | None, **changes: Any) -> None:
    """The one writer of ``NetworkMembership.status``."""
    allowed = {
        Status.APPLICANT: {Status.ACTIVE, Status.DECLINED, Status.LEFT},
        Status.ACTIVE: {Status.PAUSED, Status.LEFT},
        Status.PAUSED: {Status.ACTIVE, Status.LEFT},
        Status.LEFT: {Status.APPLICANT},
        Status.DECLINED: {Status.APPLICANT},
    }
    if status not in allowed[Status(membership.status)]:
        raise VolunteerError(
            f"A volunteer who is {membership.get_status_display().lower()} cannot become "
            f"{Status(status).label.lower()}."
        )
    previous = membership.status
    membership.status = status
    membership.status_changed_at = timezone.now()
    if status != Status.PAUSED:
        membership.paused_until = None
    for field, value in changes.items():
        setattr(membership, field, value)
    membership.save()
    record_activity(
        actor=actor,
        action=f"volunteer.{status}",
        target=membership,
        organisation=membership.network,
        data={"from": previous, "to": status},
    )


def missing_onboarding(membership: NetworkMembership) -> list[str]:
    """What the checklist still lacks before the volunteer can be accepted."""
    checks = list(membership.checks.all())
    missing = []
    for kind in (OnboardingCheck.Kind.INDUCTION, OnboardingCheck.Kind.CONFIDENTIALITY):
        if not any(check.kind == kind and check.is_done for check in checks):
            missing.append(kind.label.lower())
    missing += [
        f"{check.label} (not complete or expired)"
        for check in checks
        if check.kind == "role_check" and not check.is_done
    ]
    return missing


@transaction.atomic
def accept_application(*, membership: NetworkMembership, actor: User, message: str = "") -> NetworkMembership:
    """Make an applicant an active volunteer once their onboarding checklist is complete.

    Raises VolunteerError when it is not an application or the checklist lacks something.
    Emails the volunteer, with the lead's message.
    """
    membership = _lock_membership(membership)
    if membership.status != Status.APPLICANT:
        raise VolunteerError("Only an application waiting for a decision can be accepted.")
    missing = missing_onboarding(membership)
    if missing:
        raise VolunteerError("Before accepting, record: " + "; ".join(missing) + ".")
    _set_status(
        membership, Status.ACTIVE, actor=actor, decided_at=timezone.now(), decided_by=actor, decision_message=message
    )
    queue_notification(
        template_key="volunteers/application_accepted",
        unique_key=f"application-accepted:{membership.pk}:{membership.decided_at:%Y%m%d%H%M%S}",
        recipient=membership.volunteer.user,
        context={
            "name": membership.volunteer.display_name,
            "network": membership.network.name,
            "message": message,
            "home_url": absolute_url(reverse("volunteers:my_volunteering")),
        },
    )
    return membership


@transaction.atomic
def decline_application(*, membership: NetworkMembership, actor: User, message: str) -> NetworkMembership:
    """Decline an application with a message the applicant receives by email."""
    if not message.strip():
        raise VolunteerError("Please write a short message to the applicant explaining the decision.")
    membership = _lock_membership(membership)
    if membership.status != Status.APPLICANT:
        raise VolunteerError("Only an application waiting for a decision can be declined.")
    _set_status(
        membership,
        Status.DECLINED,
        actor=actor,
        decided_at=timezone.now(),
        decided_by=actor,
        decision_message=message.strip(),
    )
    queue_notification(
        template_key="volunteers/application_declined",
        unique_key=f"application-declined:{membership.pk}:{membership.decided_at:%Y%m%d%H%M%S}",
        recipient=membership.volunteer.user,
        context={
            "name": membership.volunteer.display_name,
            "network": membership.network.name,
            "message": message.strip(),
        },
    )
    return membership


@transaction.atomic
def record_check(
    *,
    membership: NetworkMembership,
    actor: User,
    kind: str,
    name: str = "",
    completed_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
    check: OnboardingCheck | None = None,
) -> OnboardingCheck:
    """Add or update an item of the onboarding checklist (one induction and one agreement each)."""
    if kind == OnboardingCheck.Kind.ROLE_CHECK and not name.strip():
        raise VolunteerError("Please name the check, for example “DBS check”.")
    if completed_on and completed_on > timezone.localdate():
        raise VolunteerError("The date it was completed cannot be in the future.")
    if expires_on and completed_on and expires_on <= completed_on:
        raise VolunteerError("The expiry date must be after the date it was completed.")
    if check is None and kind != OnboardingCheck.Kind.ROLE_CHECK:
        check = OnboardingCheck.objects.filter(membership=membership, kind=kind).first()
    if check is None:
        check = OnboardingCheck(membership=membership, kind=kind)
    elif check.membership_id != membership.pk:
        raise VolunteerError("That check belongs to someone else.")
    check.kind = kind
    check.name = name.strip()
    check.completed_on = completed_on
    if check.expires_on != expires_on:
        check.expiry_warned_for = None
    check.expires_on = expires_on
    check.save()
    record_activity(
        actor=actor,
        action="volunteer.check_recorded",
        target=check,
        organisation=membership.network,
        data={"kind": kind, "membership": membership.pk},
    )
    return check


def warn_expiring_checks(*, today: datetime.date | None = None) -> int:
    """Email each lead about checks in their network expiring within 30 days, once per expiry date.

    Returns how many checks were warned about. Safe to run any number of times a day.
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=CHECK_EXPIRY_WARNING_DAYS)
    due = (
        OnboardingCheck.objects.filter(
            expires_on__isnull=False,
            expires_on__gte=today,
            expires_on__lte=horizon,
            membership__status__in=[Status.ACTIVE, Status.PAUSED, Status.APPLICANT],
        )
        .exclude(expiry_warned_for=F("expires_on"))
        .select_related("membership__network", "membership__volunteer__user")
    )
    warned = 0
    for check in due:
        network = check.membership.network
        leads = _leads_of(network)
        if not leads:
            continue  # nobody to warn yet: try again tomorrow, when a lead may have joined
        with transaction.atomic():
            for lead in leads:
                queue_notification(
                    template_key="volunteers/check_expiring",
                    unique_key=f"check-expiring:{check.pk}:{check.expires_on:%Y-%m-%d}:lead:{lead.pk}",
                    recipient=lead,
                    context={
                        "volunteer": check.membership.volunteer.display_name,
                        "check": check.label,
                        "expires_on": check.expires_on.strftime("%-d %B %Y") if check.expires_on else "",
                        "network": network.name,
                        "volunteer_url": absolute_url(
                            reverse(
                                "volunteers:network_volunteer",
                                kwargs={"slug": network.slug, "pk": check.membership_id},
                            )
                        ),
                    },
                )
            check.expiry_warned_for = check.expires_on
            check.save(update_fields=["expiry_warned_for", "updated_at"])
            warned += 1
    return warned


# Status: pausing, returning, leaving -------------------------------------------------------------


@transaction.atomic
def pause_volunteer(
    *,
    profile: VolunteerProfile,
    actor: User,
    until: datetime.date | None = None,
    network: Organisation | None = None,
) -> list[NetworkMembership]:
    """Pause the volunteer's active memberships (or the one in ``network``); they keep their place
    but are not matched. With ``until`` they become active again on that date."""
    if until is not None and until <= timezone.localdate():
        raise VolunteerError("The return date must be in the future.")
    memberships = NetworkMembership.objects.select_for_update().filter(volunteer=profile, status=Status.ACTIVE)
    if network is not None:
        memberships = memberships.filter(network=network)
    paused = list(memberships.select_related("network"))
    if not paused:
        raise VolunteerError("There is nothing to pause: no active membership.")
    for membership in paused:
        _set_status(membership, Status.PAUSED, actor=actor, paused_until=until)
    return paused


@transaction.atomic
def reactivate_volunteer(
    *, profile: VolunteerProfile, actor: User | None, network: Organisation | None = None
) -> list[NetworkMembership]:
    """Make paused memberships (or the one in ``network``) active again."""
    memberships = NetworkMembership.objects.select_for_update().filter(volunteer=profile, status=Status.PAUSED)
    if network is not None:
        memberships = memberships.filter(network=network)
    resumed = list(memberships.select_related("network"))
    if not resumed:
        raise VolunteerError("There is nothing to resume: no paused membership.")
    for membership in resumed:
        _set_status(membership, Status.ACTIVE, actor=actor)
    return resumed


def resume_returning_volunteers(*, today: datetime.date | None = None) -> int:
    """Reactivate memberships whose return date has come. Returns how many."""
    today = today or timezone.localdate()
    count = 0
    for membership in NetworkMembership.objects.filter(status=Status.PAUSED, paused_until__lte=today):
        with transaction.atomic():
            locked = _lock_membership(membership)
            if locked.status == Status.PAUSED and locked.paused_until and locked.paused_until <= today:
                _set_status(locked, Status.ACTIVE, actor=None)
                count += 1
    return count


@transaction.atomic
def leave_network(*, membership: NetworkMembership, actor: User) -> NetworkMembership:
    """The volunteer leaves a network (or withdraws an application). Their history stays."""
    membership = _lock_membership(membership)
    _set_status(membership, Status.LEFT, actor=actor)
    return membership


# Profile, availability ---------------------------------------------------------------------------


@transaction.atomic
def update_profile(
    *,
    profile: VolunteerProfile,
    actor: User,
    changes: dict[str, Any],
    name: str | None = None,
) -> VolunteerProfile:
    """Change profile fields (names from ``PROFILE_FIELDS``; ``experience_tags`` a list of tags).

    Tags must belong to one of the volunteer's networks. Records which fields changed (never the
    values), and separately when someone other than the volunteer changed special-category data.
    """
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise VolunteerError(f"Unknown profile fields: {', '.join(sorted(unknown))}.")
    profile = VolunteerProfile.objects.select_for_update().get(pk=profile.pk)
    changed: list[str] = []
    if name is not None and name.strip() and name.strip() != profile.user.name:
        profile.user.name = name.strip()
        profile.user.save(update_fields=["name"])
        changed.append("name")
    for field, value in changes.items():
        if field == "experience_tags":
            tags = list(value)
            networks = set(profile.memberships.values_list("network_id", flat=True))
            if any(tag.network_id not in networks for tag in tags):
                raise VolunteerError("Please choose experience from your own networks' lists.")
            if {tag.pk for tag in tags} != set(profile.experience_tags.values_list("pk", flat=True)):
                profile.experience_tags.set(tags)
                changed.append(field)
        elif getattr(profile, field) != value:
            setattr(profile, field, value)
            changed.append(field)
    if not changed:
        return profile
    profile.save()
    record_activity(actor=actor, action="volunteer.profile_updated", target=profile, data={"fields": sorted(changed)})
    special = sorted(set(changed) & SPECIAL_CATEGORY_FIELDS)
    if special and _is_staff_actor(actor, profile):
        record_activity(
            actor=actor, action="volunteer.special_category_changed", target=profile, data={"fields": special}
        )
    return profile


@transaction.atomic
def set_weekly_availability(
    *, profile: VolunteerProfile, actor: User, slots: Iterable[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Replace the weekly pattern with ``slots`` (weekday 0–6, part of day)."""
    wanted = set()
    for weekday, part in slots:
        if not 0 <= int(weekday) <= 6 or part not in PartOfDay.values:
            raise VolunteerError("That is not a day and part of the day we know.")
        wanted.add((int(weekday), part))
    existing = set(WeeklyAvailability.objects.filter(volunteer=profile).values_list("weekday", "part_of_day"))
    WeeklyAvailability.objects.filter(volunteer=profile).exclude(
        pk__in=[
            slot.pk
            for slot in WeeklyAvailability.objects.filter(volunteer=profile)
            if (slot.weekday, slot.part_of_day) in wanted
        ]
    ).delete()
    WeeklyAvailability.objects.bulk_create(
        [WeeklyAvailability(volunteer=profile, weekday=day, part_of_day=part) for day, part in wanted - existing]
    )
    if wanted != existing:
        record_activity(
            actor=actor, action="volunteer.availability_updated", target=profile, data={"slots": len(wanted)}
        )
    return wanted


@transaction.atomic
def add_time_away(
    *, profile: VolunteerProfile, actor: User, starts_on: datetime.date, ends_on: datetime.date, note: str = ""
) -> TimeAway:
    """Record dates the volunteer is away. Raises VolunteerError for a range that ends before it starts."""
    if ends_on < starts_on:
        raise VolunteerError("The last day away must be on or after the first day.")
    if ends_on < timezone.localdate():
        raise VolunteerError("Those dates are in the past.")
    away = TimeAway.objects.create(volunteer=profile, starts_on=starts_on, ends_on=ends_on, note=note.strip())
    record_activity(actor=actor, action="volunteer.time_away_added", target=profile)
    return away


@transaction.atomic
def remove_time_away(*, away: TimeAway, actor: User) -> None:
    record_activity(actor=actor, action="volunteer.time_away_removed", target=away.volunteer)
    away.delete()


@transaction.atomic
def add_experience_tag(*, network: Organisation, name: str, actor: User) -> ExperienceTag:
    """Add a tag to a network's list. Raises VolunteerError for an empty or duplicate name."""
    name = " ".join(name.split())
    if not name:
        raise VolunteerError("Please enter the experience, for example “secondary breast cancer”.")
    if ExperienceTag.objects.filter(network=network, name__iexact=name).exists():
        raise VolunteerError(f"“{name}” is already on the list.")
    tag = ExperienceTag.objects.create(network=network, name=name)
    record_activity(actor=actor, action="volunteer.tag_added", target=tag, organisation=network)
    return tag


def record_special_category_view(*, profile: VolunteerProfile, actor: User, where: str) -> None:
    """Log that someone other than the volunteer was shown their special-category data."""
    if _is_staff_actor(actor, profile):
        record_activity(actor=actor, action="volunteer.special_category_viewed", target=profile, data={"page": where})


def record_special_category_list_view(
    *, profiles: Iterable[VolunteerProfile], actor: User, where: str, organisation: Organisation | None = None
) -> None:
    """Log, in one row (one query whatever the page size), that a list showed staff these
    volunteers' special-category data (their experience): ``data["volunteers"]`` holds their ids."""
    shown = sorted(profile.pk for profile in profiles if _is_staff_actor(actor, profile))
    if shown:
        record_activity(
            actor=actor,
            action="volunteer.special_category_listed",
            organisation=organisation,
            data={"page": where, "volunteers": shown},
        )


# Consent -----------------------------------------------------------------------------------------


def current_text(purpose: ConsentPurpose) -> ConsentText | None:
    return purpose.texts.order_by("-version").first()


def _latest_record(profile: VolunteerProfile, purpose: ConsentPurpose) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(volunteer=profile, purpose=purpose)
        .select_related("text")
        .order_by("-created_at", "-pk")
        .first()
    )


def _check_method(*, profile: VolunteerProfile, actor: User, method: str) -> None:
    if method == ConsentRecord.Method.ONLINE:
        if actor.pk != profile.user_id:
            raise VolunteerError("Only the volunteer can give or withdraw consent online.")
        return
    if method not in ConsentRecord.Method.values:
        raise VolunteerError("Please choose how the consent was given.")
    networks = profile.memberships.values_list("network_id", flat=True)
    if not Membership.objects.filter(
        user=actor, organisation_id__in=networks, role__in=[Membership.Role.LEAD, Membership.Role.ADMIN]
    ).exists():
        raise VolunteerError("Only a lead or admin of the volunteer's network can record a paper or verbal consent.")


@transaction.atomic
def grant_consent(
    *,
    profile: VolunteerProfile,
    text: ConsentText,
    actor: User,
    method: str = ConsentRecord.Method.ONLINE,
    note: str = "",
) -> ConsentRecord:
    """Append a grant of ``text`` (which must be its purpose's current version).

    Raises VolunteerError for an old version (the wording changed meanwhile) or a consent that
    is already given on this version. Paper and verbal grants name the staff member recording it.
    """
    _check_method(profile=profile, actor=actor, method=method)
    VolunteerProfile.objects.select_for_update().get(pk=profile.pk)
    purpose = text.purpose
    latest_text = current_text(purpose)
    if latest_text is None or latest_text.pk != text.pk:
        raise VolunteerError(
            f"The wording of “{purpose.name}” has changed. Please read the current version before agreeing."
        )
    latest = _latest_record(profile, purpose)
    if latest is not None and latest.action == ConsentRecord.Action.GRANTED and latest.text_id == text.pk:
        raise VolunteerError(f"Consent to “{purpose.name}” is already given.")
    record = ConsentRecord.objects.create(
        volunteer=profile,
        purpose=purpose,
        text=text,
        action=ConsentRecord.Action.GRANTED,
        method=method,
        recorded_by=actor if method != ConsentRecord.Method.ONLINE else None,
        note=note.strip(),
    )
    record_activity(
        actor=actor,
        action="consent.granted",
        target=record,
        data={"purpose": purpose.code, "version": text.version, "method": method, "volunteer": profile.pk},
    )
    return record


@transaction.atomic
def withdraw_consent(
    *,
    profile: VolunteerProfile,
    purpose: ConsentPurpose,
    actor: User,
    method: str = ConsentRecord.Method.ONLINE,
    note: str = "",
) -> ConsentRecord:
    """Append a withdrawal. Raises VolunteerError when the consent is not currently given."""
    _check_method(profile=profile, actor=actor, method=method)
    VolunteerProfile.objects.select_for_update().get(pk=profile.pk)
    latest = _latest_record(profile, purpose)
    if latest is None or latest.action == ConsentRecord.Action.WITHDRAWN:
        raise VolunteerError(f"Consent to “{purpose.name}” is not given, so there is nothing to withdraw.")
    record = ConsentRecord.objects.create(
        volunteer=profile,
        purpose=purpose,
        text=latest.text,
        action=ConsentRecord.Action.WITHDRAWN,
        method=method,
        recorded_by=actor if method != ConsentRecord.Method.ONLINE else None,
        note=note.strip(),
    )
    record_activity(
        actor=actor,
        action="consent.withdrawn",
        target=record,
        data={"purpose": purpose.code, "version": latest.text.version, "method": method, "volunteer": profile.pk},
    )
    return record


@transaction.atomic
def publish_consent_text(
    *, purpose: ConsentPurpose, text: str, organisations: Iterable[Organisation], actor: User
) -> ConsentText:
    """Publish a new version of a purpose's wording. Earlier grants stop being current, and
    volunteers holding them are asked again when they next sign in."""
    organisations = list(organisations)
    if not text.strip():
        raise VolunteerError("Please write the text volunteers will agree to.")
    if not organisations:
        raise VolunteerError("Please name at least one organisation that relies on this consent.")
    ConsentPurpose.objects.select_for_update().get(pk=purpose.pk)
    version = (purpose.texts.aggregate(latest=Max("version"))["latest"] or 0) + 1
    consent_text = ConsentText.objects.create(purpose=purpose, version=version, text=text.strip(), published_by=actor)
    consent_text.organisations.set(organisations)
    record_activity(
        actor=actor,
        action="consent.text_published",
        target=consent_text,
        data={"purpose": purpose.code, "version": version},
    )
    return consent_text


# Data rights -------------------------------------------------------------------------------------


@transaction.atomic
def erase_volunteer(*, profile: VolunteerProfile, actor: User) -> VolunteerProfile:
    """Anonymise a volunteer for good: names, contacts, free text, health data and the personal
    parts of consents are removed and the account can no longer sign in. The rows that count
    involvement (memberships, consent records, and later bookings and paid claims) stay, without
    personal data. Records ``volunteer.erased``.
    """
    profile = VolunteerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    if profile.is_erased:
        raise VolunteerError("This volunteer has already been erased.")
    user = profile.user
    placeholder_email = f"erased-{user.pk}@erased.invalid"
    user.name = ERASED_NAME
    user.email = placeholder_email
    user.is_active = False
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    # No session scan is needed: the unusable password changes the session hash Django checks on
    # every request, so any signed-in browser of theirs is signed out at its next page.
    Notification.objects.filter(recipient=user, status=Notification.Status.PENDING).update(
        status=Notification.Status.FAILED, last_error="Not sent: the recipient's record was erased."
    )
    Notification.objects.filter(recipient=user).update(email=placeholder_email, context={})
    # Emails to leads name the volunteer (their application, an expiring check): keep the rows, drop the
    # free text (the check's name is cleared below too).
    redacted = {"applicant": ERASED_NAME, "volunteer": ERASED_NAME, "check": "Onboarding check"}
    checks = OnboardingCheck.objects.filter(membership__volunteer=profile).values_list("pk", flat=True)
    about_them = [f"application:{pk}:" for pk in profile.memberships.values_list("pk", flat=True)]
    about_them += [f"check-expiring:{pk}:" for pk in checks]
    for prefix in about_them:
        for notification in Notification.objects.filter(unique_key__startswith=prefix):
            notification.context = {key: redacted.get(key, value) for key, value in notification.context.items()}
            notification.save(update_fields=["context", "updated_at"])
    for field in (
        "preferred_name",
        "pronouns",
        "phone",
        "postal_address",
        "biography",
        "topics_to_avoid",
        "support_contact_name",
        "support_contact_details",
        "payment_preference_reason",
        "interpreter_language",
        "dietary_needs",
        "other_adjustments",
        "interpreter",
    ):
        setattr(profile, field, "")
    for field in (
        "step_free_access",
        "parking",
        "hearing_loop",
        "large_print",
        "easy_read",
        "companion_attending",
        "rest_breaks",
    ):
        setattr(profile, field, False)
    profile.longest_session_minutes = None
    profile.monthly_session_cap = None
    profile.travel_miles = None
    profile.contact_channel = VolunteerProfile.ContactChannel.EMAIL
    profile.naming_preference = VolunteerProfile.Naming.ANONYMOUS
    profile.payment_preference = VolunteerProfile.PaymentPreference.FEE_AND_EXPENSES
    profile.attendance_mode = VolunteerProfile.AttendanceMode.EITHER
    profile.erased_at = timezone.now()
    profile.save()
    profile.experience_tags.clear()
    WeeklyAvailability.objects.filter(volunteer=profile).delete()
    TimeAway.objects.filter(volunteer=profile).delete()
    ConsentRecord.objects.filter(volunteer=profile).update(note="")
    profile.memberships.update(statement="", decision_message="", heard_about="")
    for membership in profile.memberships.exclude(status=Status.LEFT):
        membership.status = Status.LEFT
        membership.paused_until = None
        membership.status_changed_at = timezone.now()
        membership.save(update_fields=["status", "paused_until", "status_changed_at", "updated_at"])
    OnboardingCheck.objects.filter(membership__volunteer=profile).update(name="")
    record_activity(actor=actor, action="volunteer.erased", target=profile)
    return profile


@transaction.atomic
def export_my_data(*, profile: VolunteerProfile, actor: User) -> dict[str, Any]:
    """Everything held about the volunteer (``volunteers.export.volunteer_data``), for their own
    readable page or download. Records ``volunteer.data_exported`` after gathering it."""
    # volunteers.export imports this module (PROFILE_FIELDS): imported here to avoid a cycle.
    from volunteers.export import volunteer_data

    data = volunteer_data(profile)
    record_activity(actor=actor, action="volunteer.data_exported", target=profile)
    return data
