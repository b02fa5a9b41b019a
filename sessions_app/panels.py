"""The sessions app's panels on the volunteers' pages (``volunteers.panels``): what a volunteer
took part in, for their network's lead and for themself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Subquery

from sessions_app import selectors
from volunteers.models import NetworkMembership

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from volunteers.models import VolunteerProfile

LATEST_SHOWN = 10


def lead_participation(
    viewer: User, network: Organisation | None, profile: VolunteerProfile | None
) -> dict[str, Any] | None:
    """For a lead's page about one volunteer: the sessions they took part in at the network's
    partner universities, with hours (the latest ten, and a link to all), only if they agree to
    share their participation with the network; otherwise it says so."""
    if network is None or profile is None:
        return None
    if not selectors.shares_participation(profile, network):
        return {"network": network, "profile": profile, "shared": False}
    bookings = selectors.participation_with_partners(profile, network)
    totals = selectors.participation_totals(bookings)
    # The link to all of them names the membership: read with the latest rows, not in a query of its own.
    membership = NetworkMembership.objects.filter(network=network, volunteer=OuterRef("volunteer_id")).values("pk")
    latest = list(bookings.annotate(membership_pk=Subquery(membership[:1]))[:LATEST_SHOWN])
    return {
        "network": network,
        "profile": profile,
        "shared": True,
        "totals": totals,
        "latest": latest,
        "membership_pk": latest[0].membership_pk if totals.sessions > LATEST_SHOWN and latest else None,
    }


def own_totals(viewer: User, network: Organisation | None, profile: VolunteerProfile | None) -> dict[str, Any] | None:
    """For the volunteer's own home: how many sessions and hours they have given, and where."""
    if profile is None:
        return None
    return {"totals": selectors.participation_totals(selectors.own_participation(profile))}
