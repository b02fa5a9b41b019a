"""Everything held about a volunteer, for their own download (a subject access request)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from involvement.models import ActivityLog, Notification
from volunteers.models import ConsentRecord, NetworkMembership, VolunteerProfile
from volunteers.services import PROFILE_FIELDS


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def volunteer_data(profile: VolunteerProfile) -> dict[str, Any]:
    """A plain dictionary of the volunteer's account, profile, networks, availability,
    onboarding, consents, emails sent and the activity recorded about them."""
    user = profile.user
    fields: dict[str, Any] = {}
    for field in sorted(PROFILE_FIELDS - {"experience_tags"}):
        value = getattr(profile, field)
        display = getattr(profile, f"get_{field}_display", None)
        fields[field] = display() if display and value != "" else value
    memberships = (
        NetworkMembership.objects.filter(volunteer=profile).select_related("network").prefetch_related("checks")
    )
    records = ConsentRecord.objects.filter(volunteer=profile).select_related("purpose", "text", "recorded_by")
    return {
        "generated_at": timezone.now().isoformat(),
        "account": {
            "name": user.name,
            "email": user.email,
            "joined": _date(user.date_joined),
            "last_sign_in": _date(user.last_login),
        },
        "profile": fields,
        "experience": sorted(tag.name for tag in profile.experience_tags.all()),
        "adjustments": profile.adjustments,
        "networks": [
            {
                "network": membership.network.name,
                "status": membership.get_status_display(),
                "since": _date(membership.status_changed_at),
                "return_date": _date(membership.paused_until),
                "application_statement": membership.statement,
                "heard_about": membership.get_heard_about_display() if membership.heard_about else "",
                "decision_message": membership.decision_message,
                "onboarding": [
                    {
                        "item": check.label,
                        "completed_on": _date(check.completed_on),
                        "expires_on": _date(check.expires_on),
                    }
                    for check in membership.checks.all()
                ],
            }
            for membership in memberships
        ],
        "weekly_availability": [str(slot) for slot in profile.weekly_availability.all()],
        "time_away": [
            {"from": _date(away.starts_on), "to": _date(away.ends_on), "note": away.note}
            for away in profile.time_away.all()
        ],
        "consents": [
            {
                "purpose": record.purpose.name,
                "version": record.text.version,
                "wording": record.text.text,
                "action": record.get_action_display(),
                "how": record.get_method_display(),
                "recorded_by": record.recorded_by.get_full_name() if record.recorded_by else "",
                "note": record.note,
                "when": _date(record.created_at),
            }
            for record in records
        ],
        "emails": [
            {
                "about": notification.template_key,
                "to": notification.email,
                "status": notification.status,
                "when": _date(notification.created_at),
            }
            for notification in Notification.objects.filter(recipient=user).order_by("created_at")
        ],
        "activity": [
            {"what": entry.action, "when": _date(entry.created_at)}
            for entry in ActivityLog.objects.filter(
                object_id=str(profile.pk), content_type__model="volunteerprofile"
            ).order_by("created_at")
        ],
    }
