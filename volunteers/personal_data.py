"""What the volunteers app holds about a volunteer (their account, profile, networks, availability,
onboarding, consents, the emails sent to them and the activity about them), for the personal-data
registry (``volunteers.data_rights``): the download and the erasure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from involvement.models import ActivityLog, Notification
from volunteers.data_rights import Provider, Section
from volunteers.models import (
    ConsentRecord,
    NetworkMembership,
    OnboardingCheck,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import ERASED_NAME, set_membership_status

if TYPE_CHECKING:
    from collections.abc import Callable

# Profile fields in the download: the ones a volunteer fills in (see ``services.PROFILE_FIELDS``).
EXPORTED_PROFILE_FIELDS = (
    "attendance_mode",
    "biography",
    "companion_attending",
    "contact_channel",
    "dietary_needs",
    "easy_read",
    "hearing_loop",
    "interpreter",
    "interpreter_language",
    "large_print",
    "longest_session_minutes",
    "monthly_session_cap",
    "naming_preference",
    "other_adjustments",
    "parking",
    "payment_preference",
    "payment_preference_reason",
    "perspective",
    "phone",
    "postal_address",
    "preferred_name",
    "pronouns",
    "rest_breaks",
    "step_free_access",
    "support_contact_details",
    "support_contact_name",
    "topics_to_avoid",
    "travel_miles",
)
TEXT_FIELDS_ERASED = (
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
)
FLAGS_ERASED = (
    "step_free_access",
    "parking",
    "hearing_loop",
    "large_print",
    "easy_read",
    "companion_attending",
    "rest_breaks",
)


def iso(value: Any) -> str | None:
    """A date or time as ISO 8601 (local time for a moment), or None."""
    if not value:
        return None
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        return str(timezone.localtime(value).isoformat())
    return str(value.isoformat())


# The download -------------------------------------------------------------------------------------


def _account(profile: VolunteerProfile) -> dict[str, Any]:
    user = profile.user
    return {
        "name": user.name,
        "email": user.email,
        "joined": iso(user.date_joined),
        "last_sign_in": iso(user.last_login),
    }


def _profile(profile: VolunteerProfile) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field in EXPORTED_PROFILE_FIELDS:
        value = getattr(profile, field)
        display = getattr(profile, f"get_{field}_display", None)
        fields[field] = display() if display and value != "" else value
    return fields


def _networks(profile: VolunteerProfile) -> list[dict[str, Any]]:
    memberships = (
        NetworkMembership.objects.filter(volunteer=profile)
        .select_related("network")
        .prefetch_related("checks")
        .order_by("network__name")
    )
    return [
        {
            "network": membership.network.name,
            "status": membership.get_status_display(),
            "since": iso(membership.status_changed_at),
            "return_date": iso(membership.paused_until),
            "application_statement": membership.statement,
            "heard_about": membership.get_heard_about_display() if membership.heard_about else "",
            "decision_message": membership.decision_message,
            "onboarding": [
                {"item": check.label, "completed_on": iso(check.completed_on), "expires_on": iso(check.expires_on)}
                for check in membership.checks.all()
            ],
        }
        for membership in memberships
    ]


def _consents(profile: VolunteerProfile) -> list[dict[str, Any]]:
    records = (
        ConsentRecord.objects.filter(volunteer=profile)
        .select_related("purpose", "text__network", "recorded_by")
        .order_by("-created_at", "-pk")
    )
    return [
        {
            "network": record.text.network.name,
            "purpose": record.purpose.name,
            "version": record.text.version,
            "wording": record.text.text,
            "action": record.get_action_display(),
            "how": record.get_method_display(),
            "recorded_by": record.recorded_by.get_full_name() if record.recorded_by else "",
            "note": record.note,
            "when": iso(record.created_at),
        }
        for record in records
    ]


def _emails(profile: VolunteerProfile) -> list[dict[str, Any]]:
    return [
        {
            "about": notification.template_key,
            "to": notification.email,
            "status": notification.status,
            "when": iso(notification.created_at),
        }
        for notification in Notification.objects.filter(recipient=profile.user).order_by("created_at", "pk")
    ]


def _activity(profile: VolunteerProfile) -> list[dict[str, Any]]:
    entries = ActivityLog.objects.filter(
        object_id=str(profile.pk), content_type__app_label="volunteers", content_type__model="volunteerprofile"
    ).order_by("created_at", "pk")
    return [{"what": entry.action, "when": iso(entry.created_at)} for entry in entries]


def _through_rows(profile: VolunteerProfile) -> QuerySet[Any]:
    return VolunteerProfile.experience_tags.through.objects.filter(volunteerprofile=profile)


SECTIONS = (
    Section("account", "Your account", _account),
    Section("profile", "Your profile", _profile),
    Section("experience", "Your experience", lambda p: sorted(tag.name for tag in p.experience_tags.all())),
    Section("adjustments", "Your adjustments", lambda p: p.adjustments),
    Section("networks", "Your networks", _networks),
    Section(
        "weekly_availability",
        "When you are usually free",
        lambda p: [str(slot) for slot in p.weekly_availability.order_by("weekday", "part_of_day")],
    ),
    Section(
        "time_away",
        "Time away",
        lambda p: [
            {"from": iso(away.starts_on), "to": iso(away.ends_on), "note": away.note}
            for away in p.time_away.order_by("starts_on")
        ],
    ),
    Section("consents", "Your consents", _consents, intro="Every answer you gave, newest first, with the wording."),
    Section("emails", "Emails we sent you", _emails),
    Section("activity", "Changes to your record", _activity),
)

ROWS: dict[type[Any], Callable[[VolunteerProfile], QuerySet[Any]]] = {
    User: lambda p: User.objects.filter(pk=p.user_id),
    EmailAddress: lambda p: EmailAddress.objects.filter(user_id=p.user_id),
    Authenticator: lambda p: Authenticator.objects.filter(user_id=p.user_id),
    VolunteerProfile: lambda p: VolunteerProfile.objects.filter(pk=p.pk),
    VolunteerProfile.experience_tags.through: _through_rows,
    NetworkMembership: lambda p: NetworkMembership.objects.filter(volunteer=p),
    OnboardingCheck: lambda p: OnboardingCheck.objects.filter(membership__volunteer=p),
    WeeklyAvailability: lambda p: WeeklyAvailability.objects.filter(volunteer=p),
    TimeAway: lambda p: TimeAway.objects.filter(volunteer=p),
    ConsentRecord: lambda p: ConsentRecord.objects.filter(volunteer=p),
    # Emails to them. Emails to others that name them (``Notification.about``) are redacted by the
    # erasure itself: their address is the other person's.
    Notification: lambda p: Notification.objects.filter(recipient_id=p.user_id),
    ActivityLog: lambda p: ActivityLog.objects.filter(actor_id=p.user_id),
}


# Erasure ------------------------------------------------------------------------------------------


def erase(profile: VolunteerProfile, actor: User) -> None:
    """Names, contacts, free text, health data, availability and the personal parts of consent
    and onboarding go; the account can no longer sign in; memberships and consent records stay
    (they count involvement and prove what was agreed), without personal data."""
    user = profile.user
    user.name = ERASED_NAME
    user.email = f"erased-{user.pk}@erased.invalid"
    user.is_active = False
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    # No session scan is needed: the unusable password changes the session hash Django checks on
    # every request, so any signed-in browser of theirs is signed out at its next page.
    for field in TEXT_FIELDS_ERASED:
        setattr(profile, field, "")
    for field in FLAGS_ERASED:
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
    still_in = [NetworkMembership.Status.APPLICANT, NetworkMembership.Status.ACTIVE, NetworkMembership.Status.PAUSED]
    for membership in profile.memberships.filter(status__in=still_in).select_related("network"):
        set_membership_status(membership, NetworkMembership.Status.LEFT, actor=actor)
    OnboardingCheck.objects.filter(membership__volunteer=profile).update(name="")


PROVIDER = Provider(
    name="volunteers",
    order=10,
    sections=SECTIONS,
    rows=ROWS,
    erase=erase,
    code_fields=frozenset(
        {
            "involvement.Notification.unique_key",
            "involvement.Notification.template_key",
            "involvement.ActivityLog.action",
            "involvement.ActivityLog.object_id",
            "accounts.User.password",
        }
    ),
)
