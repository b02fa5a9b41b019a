"""The panel feedback adds to the volunteers' pages (``volunteers.panels``): open follow-ups on the
lead's network page, oldest first. It reads a fixed number of rows in one query (two when there are
more than it shows), and shows no note."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from feedback import selectors
from feedback.permissions import is_lead_of_network

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from volunteers.models import VolunteerProfile

SHOWN = 5


def open_follow_ups_panel(
    viewer: User, network: Organisation | None, profile: VolunteerProfile | None
) -> dict[str, Any] | None:
    """The network's open follow-ups, oldest first (the first five, and how many there are)."""
    if network is None or not is_lead_of_network(viewer, network):
        return None
    follow_ups = selectors.open_follow_ups(network)
    shown = list(follow_ups[:SHOWN])
    return {"network": network, "follow_ups": shown, "count": follow_ups.count() if len(shown) == SHOWN else len(shown)}
