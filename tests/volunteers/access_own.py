"""Access-table entries for the volunteers app's own pages (see tests/test_access.py).

Every page needs a volunteer profile: the coordinator has none, so gets 403. Ids come from the
volunteer's own rows (another volunteer's id is 404, tested in test_own_views.py).
"""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.access import Access
from tests.conftest import World
from volunteers.models import NetworkMembership, VolunteerProfile


def own_time_away(world: World) -> dict[str, Any]:
    away = factories.TimeAwayFactory(volunteer=VolunteerProfile.objects.get(user=world.volunteer))
    return {"pk": away.pk}


def own_membership(world: World) -> dict[str, Any]:
    return {"pk": NetworkMembership.objects.get(volunteer__user=world.volunteer, network=world.charity).pk}


def purpose_code(world: World) -> dict[str, Any]:
    return {"code": "share-story"}


def volunteer_page(name: str, kwargs: Any = None) -> Access:
    if kwargs is None:
        return Access(name, allowed="volunteer", wrong_role="coordinator")
    return Access(name, kwargs, allowed="volunteer", wrong_role="coordinator")


ACCESS_OWN: list[Access] = [
    volunteer_page("volunteers:my_volunteering"),
    volunteer_page("volunteers:profile_edit"),
    volunteer_page("volunteers:adjustments_edit"),
    volunteer_page("volunteers:availability_edit"),
    volunteer_page("volunteers:time_away_add"),
    volunteer_page("volunteers:time_away_remove", own_time_away),
    volunteer_page("volunteers:pause"),
    volunteer_page("volunteers:leave", own_membership),
    volunteer_page("volunteers:consent"),
    volunteer_page("volunteers:my_data"),
    volunteer_page("volunteers:my_data_download"),
    # POST only: an empty POST would change something or answer 400, so the view tests cover the volunteer.
    Access("volunteers:resume", method="post", wrong_role="coordinator"),
    Access("volunteers:consent_change", purpose_code, method="post", wrong_role="coordinator"),
]
