"""The sessions app's panels on the volunteers' pages (``volunteers.panels``): what a volunteer
took part in, for their network's lead and for themself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    membership = NetworkMembership.objects.filter(network=network, volunteer=profile).values_list("pk", flat=True)
    return {
        "network": network,
        "profile": profile,
        "shared": True,
        "totals": totals,
        "latest": list(bookings[:LATEST_SHOWN]),
        "membership_pk": membership.first() if totals.sessions > LATEST_SHOWN else None,
    }


def own_totals(viewer: User, network: Organisation | None, profile: VolunteerProfile | None) -> dict[str, Any] | None:
    """For the volunteer's own home: how many sessions and hours they have given, and where."""
    if profile is None:
        return None
    return {"totals": selectors.participation_totals(selectors.own_participation(profile))}
