"""Who was shown a network's volunteers' special-category data: the reads behind the lead's page.

``volunteers.services.record_special_category_view`` and ``record_special_category_list_view``
write one ActivityLog row per page view and network (``organisation`` is the network), so these
reads go through the ActivityLog's (organisation, action, created_at) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import Organisation, User
from involvement.models import ActivityLog
from volunteers.models import VolunteerProfile
from volunteers.services import SPECIAL_CATEGORY_VIEW_ACTIONS

# What each recorded page showed, in the lead's words.
PAGES = {
    "network_list": "Your network's list of volunteers (their experience)",
    "network_volunteer": "A volunteer's page in your network",
    "follow_ups": "Your network's wellbeing follow-ups",
    "follow_up": "A wellbeing follow-up",
    "matching": "Suggestions for a session (their experience)",
    "session": "A session's page (their adjustments)",
    "volunteer_summary": "A volunteer's summary (their experience)",
}


@dataclass(frozen=True)
class DataView:
    """One showing: when, who, from which organisation, which page, and whose data."""

    at: datetime
    viewer: User | None
    viewer_organisation: str
    page: str
    volunteers: list[str]


def data_views(network: Organisation) -> QuerySet[ActivityLog]:
    """Every recorded showing of ``network``'s volunteers' special-category data, newest first."""
    return (
        ActivityLog.objects.filter(organisation=network, action__in=SPECIAL_CATEGORY_VIEW_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


def describe(entries: list[ActivityLog], network: Organisation) -> list[DataView]:
    """The rows of one page of ``data_views`` made readable, in two more queries whatever their number:
    the volunteers' names and the viewers' organisations."""
    volunteer_ids = {int(entry.object_id) for entry in entries if entry.object_id}
    for entry in entries:
        volunteer_ids.update(entry.data.get("volunteers", []))
    names = {
        profile.pk: profile.display_name
        for profile in VolunteerProfile.objects.filter(pk__in=volunteer_ids).select_related("user")
    }
    organisation_ids = {entry.data["from"] for entry in entries if "from" in entry.data}
    organisations = dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))
    rows = []
    for entry in entries:
        shown = entry.data.get("volunteers") or ([int(entry.object_id)] if entry.object_id else [])
        rows.append(
            DataView(
                at=entry.created_at,
                viewer=entry.actor,
                viewer_organisation=organisations.get(entry.data.get("from"), network.name),
                page=PAGES.get(entry.data.get("page", ""), entry.data.get("page", "")),
                volunteers=sorted(names.get(pk, "A volunteer no longer in the network") for pk in shown),
            )
        )
    return rows
