"""Every change to volunteers' records. Views, commands and tasks call these; none re-implements a rule."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from involvement import formatting
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.models import ActivityLog, Notification
from involvement.notifications import queue_notification
from involvement.retention import in_batches
from volunteers import data_rights
from volunteers.consent_effects import apply_withdrawal
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
from volunteers.permissions import can_publish_consent_text, consent_relying_choices

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


def missing_contact_details(*, channel: str, phone: str, postal_address: str) -> dict[str, str]:
    """What is missing to contact someone the way they chose, by form field: a phone number for a
    call or a text, an address for post."""
    missing = {}
    if channel in {VolunteerProfile.ContactChannel.PHONE, VolunteerProfile.ContactChannel.SMS} and not phone.strip():
        missing["phone"] = "Please give a phone number so we can call you or send you a text."
    if channel == VolunteerProfile.ContactChannel.POST and not postal_address.strip():
        missing["postal_address"] = "Please give your postal address so we can write to you."
    return missing


def _check_contact_details(*, channel: str, phone: str, postal_address: str) -> None:
    missing = missing_contact_details(channel=channel, phone=phone, postal_address=postal_address)
    for field, message in missing.items():
        raise VolunteerError(message, field=field)


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
    phone: str = "",
    postal_address: str = "",
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
    membership = NetworkMembership.objects.select_for_update().filter(volunteer=profile, network=network).first()
    if membership is not None and membership.status not in {Status.LEFT, Status.DECLINED}:
        if membership.status == Status.APPLICANT:
            raise VolunteerError(f"You have already applied to {network}. A lead will be in touch.", field="email")
        raise VolunteerError(f"You are already part of {network}.", field="email")
    if contact_channel:
        profile.contact_channel = contact_channel
    if perspective:
        profile.perspective = perspective
    if phone.strip():
        profile.phone = phone.strip()
    if postal_address.strip():
        profile.postal_address = postal_address.strip()
    _check_contact_details(channel=profile.contact_channel, phone=profile.phone, postal_address=profile.postal_address)
    profile.save(update_fields=["contact_channel", "perspective", "phone", "postal_address", "updated_at"])
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
            about=applicant,
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


def set_membership_status(membership: NetworkMembership, status: str, *, actor: User | None, **changes: Any) -> None:
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
    set_membership_status(
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
    set_membership_status(
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
                    about=check.membership.volunteer.user,
                    context={
                        "volunteer": check.membership.volunteer.display_name,
                        "check": check.label,
                        "expires_on": formatting.day(check.expires_on),
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
        set_membership_status(membership, Status.PAUSED, actor=actor, paused_until=until)
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
        set_membership_status(membership, Status.ACTIVE, actor=actor)
    return resumed


def resume_returning_volunteers(*, today: datetime.date | None = None) -> int:
    """Reactivate memberships whose return date has come. Returns how many."""
    today = today or timezone.localdate()
    count = 0
    for membership in NetworkMembership.objects.filter(status=Status.PAUSED, paused_until__lte=today):
        with transaction.atomic():
            locked = _lock_membership(membership)
            if locked.status == Status.PAUSED and locked.paused_until and locked.paused_until <= today:
                set_membership_status(locked, Status.ACTIVE, actor=None)
                count += 1
    return count


@transaction.atomic
def leave_network(*, membership: NetworkMembership, actor: User) -> NetworkMembership:
    """The volunteer leaves a network (or withdraws an application). Their history stays."""
    membership = _lock_membership(membership)
    set_membership_status(membership, Status.LEFT, actor=actor)
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
    if {"contact_channel", "phone", "postal_address"} & set(changed):
        _check_contact_details(
            channel=profile.contact_channel, phone=profile.phone, postal_address=profile.postal_address
        )
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
        raise VolunteerError("Please enter the experience, for example “secondary breast cancer”.", field="name")
    if ExperienceTag.objects.filter(network=network, name__iexact=name).exists():
        raise VolunteerError(f"“{name}” is already on the list.", field="name")
    tag = ExperienceTag.objects.create(network=network, name=name)
    record_activity(actor=actor, action="volunteer.tag_added", target=tag, organisation=network)
    return tag


# Who was shown special-category data is recorded once per page view, per network whose volunteers
# it showed (usually one): an ActivityLog row whose ``organisation`` is that network, found through
# the (organisation, action, created_at) index by the network's leads (``special_category_views``).
SPECIAL_CATEGORY_VIEW_ACTIONS = ("volunteer.special_category_viewed", "volunteer.special_category_listed")


def _networks_of(volunteer_ids: list[int]) -> dict[int, list[int]]:
    """Each network (id) the volunteers belong to, not counting those they left, with their ids."""
    networks: dict[int, list[int]] = {}
    rows = (
        NetworkMembership.objects.filter(volunteer_id__in=volunteer_ids)
        .exclude(status=NetworkMembership.Status.LEFT)
        .values_list("network_id", "volunteer_id")
        .order_by("network_id", "volunteer_id")
    )
    for network_id, volunteer_id in rows:
        networks.setdefault(network_id, []).append(volunteer_id)
    return networks


def record_special_category_view(
    *, profile: VolunteerProfile, actor: User, where: str, network: Organisation | None = None
) -> None:
    """Log that someone other than the volunteer was shown their special-category data: one row
    for ``network`` (the page's, on a lead's page), else one per network the volunteer is in."""
    if not _is_staff_actor(actor, profile):
        return
    network_ids: list[int | None] = [network.pk] if network is not None else [*_networks_of([profile.pk])]
    if not network_ids:  # in no network any more: still recorded
        network_ids = [None]
    content_type = ContentType.objects.get_for_model(VolunteerProfile)
    ActivityLog.objects.bulk_create(
        ActivityLog(
            actor=actor,
            action="volunteer.special_category_viewed",
            content_type=content_type,
            object_id=str(profile.pk),
            organisation_id=network_id,
            data={"page": where},
        )
        for network_id in network_ids
    )


def record_special_category_list_view(
    *,
    profiles: Iterable[VolunteerProfile],
    actor: User,
    where: str,
    organisation: Organisation | None = None,
    network: Organisation | None = None,
) -> None:
    """Log that a page showed staff these volunteers' special-category data (their experience,
    their adjustments): one row per network whose volunteers were shown, ``data["volunteers"]``
    holding their ids, whatever the page size. ``network``: the page is that network's own (a
    lead's), so every one shown is its volunteer; otherwise (a coordinator's page at
    ``organisation``, kept as ``data["from"]``) one query finds their networks."""
    shown = sorted(profile.pk for profile in profiles if _is_staff_actor(actor, profile))
    if not shown:
        return
    by_network: dict[int | None, list[int]] = {network.pk: shown} if network is not None else {}
    if network is None:
        for network_id, ids in _networks_of(shown).items():
            by_network[network_id] = ids
    if not by_network:  # shown, yet in no network any more: still recorded
        by_network = {None: shown}
    extra = {"from": organisation.pk} if organisation is not None and network is None else {}
    ActivityLog.objects.bulk_create(
        ActivityLog(
            actor=actor,
            action="volunteer.special_category_listed",
            organisation_id=network_id,
            data={"page": where, "volunteers": ids, **extra},
        )
        for network_id, ids in by_network.items()
    )


# Consent -----------------------------------------------------------------------------------------
# Consent wording belongs to the network whose volunteers give it (docs/data-rights.md): a
# volunteer answers each (purpose, network) separately, and a network's new version asks again
# only its own volunteers.


def current_text(purpose: ConsentPurpose, network: Organisation | int) -> ConsentText | None:
    """``network``'s newest wording of ``purpose`` (None before it publishes a first version)."""
    return purpose.texts.filter(network=network).select_related("purpose", "network").order_by("-version").first()


def _latest_record(profile: VolunteerProfile, purpose: ConsentPurpose, network: Organisation) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(volunteer=profile, purpose=purpose, text__network=network)
        .select_related("text")
        .order_by("-created_at", "-pk")
        .first()
    )


def _check_method(*, profile: VolunteerProfile, actor: User, method: str, network: Organisation) -> None:
    """Online answers come from the volunteer; paper and verbal ones from a lead or admin of the
    network whose wording it is, about one of its volunteers."""
    if method == ConsentRecord.Method.ONLINE:
        if actor.pk != profile.user_id:
            raise VolunteerError("Only the volunteer can give or withdraw consent online.")
        return
    if method not in ConsentRecord.Method.values:
        raise VolunteerError("Please choose how the consent was given.")
    is_staff_there = Membership.objects.filter(
        user=actor, organisation=network, role__in=[Membership.Role.LEAD, Membership.Role.ADMIN]
    ).exists()
    if not is_staff_there or not profile.memberships.filter(network=network).exists():
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
    """Append a grant of ``text``, which must be its network's current version of the purpose,
    by someone who belongs to that network (an applicant, active or paused volunteer).

    Raises VolunteerError for another network's wording, an old version (the wording changed
    meanwhile) or a consent already given on this version. Paper and verbal grants name the
    staff member recording it.
    """
    network = text.network
    _check_method(profile=profile, actor=actor, method=method, network=network)
    VolunteerProfile.objects.select_for_update().get(pk=profile.pk)
    purpose = text.purpose
    if not profile.memberships.belonging().filter(network=network).exists():
        raise VolunteerError(f"This wording belongs to {network}: only its volunteers can agree to it.")
    latest_text = current_text(purpose, network)
    if latest_text is None or latest_text.pk != text.pk:
        raise VolunteerError(
            f"The wording of “{purpose.name}” has changed. Please read the current version before agreeing."
        )
    latest = _latest_record(profile, purpose, network)
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
        organisation=network,
        data={
            "purpose": purpose.code,
            "network": network.pk,
            "version": text.version,
            "method": method,
            "volunteer": profile.pk,
        },
    )
    return record


@transaction.atomic
def withdraw_consent(
    *,
    profile: VolunteerProfile,
    purpose: ConsentPurpose,
    network: Organisation,
    actor: User,
    method: str = ConsentRecord.Method.ONLINE,
    note: str = "",
) -> ConsentRecord:
    """Append a withdrawal of the consent to ``purpose`` given to ``network``, against the
    version it was given on. Always possible, even after leaving the network. Raises
    VolunteerError when that consent is not currently given. What depended on it changes too
    (``consent_effects``: places on sessions that need it are cancelled and the coordinators
    told); ``consent_effects.withdrawal_consequences`` says what beforehand."""
    _check_method(profile=profile, actor=actor, method=method, network=network)
    VolunteerProfile.objects.select_for_update().get(pk=profile.pk)
    latest = _latest_record(profile, purpose, network)
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
        organisation=network,
        data={
            "purpose": purpose.code,
            "network": network.pk,
            "version": latest.text.version,
            "method": method,
            "volunteer": profile.pk,
        },
    )
    # What depended on it (places on sessions that need it) follows, in this transaction.
    apply_withdrawal(profile, purpose, network, actor)
    return record


@transaction.atomic
def publish_consent_text(
    *,
    purpose: ConsentPurpose,
    network: Organisation,
    text: str,
    organisations: Iterable[Organisation],
    actor: User,
) -> ConsentText:
    """Publish ``network``'s next version of a purpose's wording, naming the organisations that
    rely on it (the network itself and its partners only). Its volunteers' earlier grants stop
    being current and they are asked again when they next sign in; no other network's are.

    Raises VolunteerError when ``actor`` is not an admin of ``network``, the text is empty, no
    organisation is named, or one named is neither the network nor an active partner of it.
    """
    if not can_publish_consent_text(actor, network):
        raise VolunteerError(f"Only an admin of {network} can publish its consent wording.")
    organisations = list(organisations)
    if not text.strip():
        raise VolunteerError("Please write the text volunteers will agree to.", field="text")
    if not organisations:
        raise VolunteerError(
            "Please name at least one organisation that relies on this consent.", field="organisations"
        )
    allowed = set(consent_relying_choices(network).values_list("pk", flat=True))
    if any(organisation.pk not in allowed for organisation in organisations):
        raise VolunteerError(
            f"Only {network} and the universities in partnership with it can rely on its consent.",
            field="organisations",
        )
    ConsentPurpose.objects.select_for_update().get(pk=purpose.pk)
    version = (purpose.texts.filter(network=network).aggregate(latest=Max("version"))["latest"] or 0) + 1
    consent_text = ConsentText.objects.create(
        purpose=purpose, network=network, version=version, text=text.strip(), published_by=actor
    )
    consent_text.organisations.set(organisations)
    record_activity(
        actor=actor,
        action="consent.text_published",
        target=consent_text,
        organisation=network,
        data={"purpose": purpose.code, "network": network.pk, "version": version},
    )
    return consent_text


# Data rights -------------------------------------------------------------------------------------


@transaction.atomic
def erase_volunteer(*, profile: VolunteerProfile, actor: User) -> VolunteerProfile:
    """Anonymise a volunteer for good, in every app: each registered personal-data provider
    (``volunteers.data_rights``) removes names, contacts, free text, health data and files, and
    keeps the rows that count involvement (memberships, bookings, paid claims, pseudonymised).
    Then, across apps, the audit trail about their rows keeps who did what and when but loses its
    details, and every email to them or naming them loses its content (one not yet sent is not
    sent). The account can no longer sign in.

    Raises VolunteerError when already erased, or while a provider refuses (a claim still to be
    paid, say). Records ``volunteer.erased``.
    """
    profile = VolunteerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    if profile.is_erased:
        raise VolunteerError("This volunteer has already been erased.")
    refusals = data_rights.refusals(profile)
    if refusals:
        raise VolunteerError(" ".join(refusals))
    user = profile.user
    # Every row about them, found before the providers delete any.
    about = [(model, list(rows.values_list("pk", flat=True))) for model, rows in data_rights.rows_about(profile)]
    for provider in data_rights.providers():
        provider.erase(profile, actor)
    audit = Q(actor=user)
    for model, ids in about:
        if ids and model is not ActivityLog:
            audit |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in ids])
    ActivityLog.objects.filter(audit).update(data={})
    emails = Notification.objects.filter(Q(recipient=user) | Q(about=user))
    emails.filter(status=Notification.Status.PENDING).update(status=Notification.Status.FAILED)
    emails.update(context={}, last_error="Content removed: the record of the person it names was erased.")
    Notification.objects.filter(recipient=user).update(email=user.email)
    record_activity(actor=actor, action="volunteer.erased", target=profile)
    return profile


# Retention ---------------------------------------------------------------------------------------


def unverified_applicants(now: datetime.datetime) -> QuerySet[User]:
    """The accounts made only for an application that was never taken further: the applicant
    never confirmed their email address nor signed in, every network they are in still has them
    as an applicant since before ``RETENTION_UNVERIFIED_APPLICATION_DAYS`` ago, and they hold no
    role, no booking and no erasure record. An account someone has used, or any membership a
    lead has decided, never matches."""
    cutoff = now - datetime.timedelta(days=settings.RETENTION_UNVERIFIED_APPLICATION_DAYS)
    profile = OuterRef("volunteer_profile")
    return User.objects.filter(
        volunteer_profile__isnull=False,
        volunteer_profile__erased_at__isnull=True,
        last_login__isnull=True,
        date_joined__lt=cutoff,
        # Through the reverse relation: volunteers does not import sessions_app.
        volunteer_profile__bookings__isnull=True,
    ).filter(
        Exists(NetworkMembership.objects.filter(volunteer=profile, status=Status.APPLICANT)),
        ~Exists(
            NetworkMembership.objects.filter(volunteer=profile).filter(
                ~Q(status=Status.APPLICANT) | Q(status_changed_at__gte=cutoff)
            )
        ),
        ~Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)),
        ~Exists(Membership.objects.filter(user=OuterRef("pk"))),
    )


def delete_unverified_applications(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """The retention rule for applications never confirmed: each account of
    ``unverified_applicants`` is deleted with everything of it (profile, applications, email
    addresses, consent answers), and every email to them or naming them (the leads' "new
    application") loses its content, as at erasure. In batches of accounts, one transaction each;
    returns how many accounts were deleted."""
    now = now or timezone.now()

    def delete(ids: list[int]) -> None:
        emails = Notification.objects.filter(Q(recipient_id__in=ids) | Q(about_id__in=ids))
        emails.filter(status=Notification.Status.PENDING).update(status=Notification.Status.FAILED)
        emails.update(context={}, last_error="Content removed: the application was never confirmed and was deleted.")
        User.objects.filter(pk__in=ids).delete()

    return in_batches(unverified_applicants(now), delete, batch_size=batch_size)


def delete_old_data_views(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """The retention rule for the record of who was shown volunteers' special-category data
    (``SPECIAL_CATEGORY_VIEW_ACTIONS``): rows older than ``RETENTION_DATA_VIEW_LOG_DAYS`` are
    deleted. Every other ActivityLog row stays. In batches; returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RETENTION_DATA_VIEW_LOG_DAYS)
    old = ActivityLog.objects.filter(action__in=SPECIAL_CATEGORY_VIEW_ACTIONS, created_at__lt=cutoff)

    def delete(ids: list[int]) -> None:
        ActivityLog.objects.filter(pk__in=ids).delete()

    return in_batches(old, delete, batch_size=batch_size)


def export_sections(*, profile: VolunteerProfile, actor: User) -> list[tuple[data_rights.Section, Any]]:
    """Everything held about the volunteer, app by app (``volunteers.data_rights``), for their own
    readable page. Records ``volunteer.data_exported`` after gathering it."""
    sections = data_rights.export_sections(profile)
    record_activity(actor=actor, action="volunteer.data_exported", target=profile)
    return sections


@transaction.atomic
def export_my_data(*, profile: VolunteerProfile, actor: User) -> dict[str, Any]:
    """Everything held about the volunteer as one JSON-able dictionary, a key per section of every
    app's provider, for their download. Records ``volunteer.data_exported``."""
    data: dict[str, Any] = {"generated_at": timezone.now().isoformat()}
    for section, value in export_sections(profile=profile, actor=actor):
        data[section.key] = value
    return data
