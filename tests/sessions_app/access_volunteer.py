"""Access-table entries for the sessions volunteer pages (see tests/test_access.py).

"My sessions" pages need a volunteer profile: the coordinator has none, so gets 403; another
volunteer's booking is 404 (tested in test_volunteer_views.py). The pages that emails and
calendar apps link to are public: the token is the key.
"""

from __future__ import annotations

from typing import Any

from sessions_app.models import Booking, CheckIn
from sessions_app.services import calendar_feed_for, check_in_token, invitation_token
from tests.access import Access
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, in_days, session_at
from volunteers.models import VolunteerProfile


def volunteer_booking(world: World, status: str = Booking.Status.ACCEPTED, days: int = 14) -> Booking:
    session = session_at(world.university, world.coordinator, starts_at=in_days(days), ends_at=in_days(days, 12))
    return BookingFactory(session=session, volunteer=VolunteerProfile.objects.get(user=world.volunteer), status=status)


def own_booking(world: World) -> dict[str, Any]:
    return {"pk": volunteer_booking(world).pk}


def invitation(world: World) -> dict[str, Any]:
    return {"token": invitation_token(volunteer_booking(world, Booking.Status.INVITED))}


def feed(world: World) -> dict[str, Any]:
    return {"token": calendar_feed_for(VolunteerProfile.objects.get(user=world.volunteer)).token}


def check_in(world: World) -> dict[str, Any]:
    booking = volunteer_booking(world, Booking.Status.ATTENDED, days=-1)
    return {"token": check_in_token(CheckIn.objects.create(booking=booking)), "answer": CheckIn.Answer.CALL}


ACCESS_VOLUNTEER: list[Access] = [
    Access("sessions_app:my_sessions", allowed="volunteer", wrong_role="coordinator"),
    Access("sessions_app:calendar", allowed="volunteer", wrong_role="coordinator"),
    Access("sessions_app:my_booking", own_booking, allowed="volunteer", wrong_role="coordinator"),
    Access("sessions_app:my_booking_cancel", own_booking, allowed="volunteer", wrong_role="coordinator"),
    Access("sessions_app:invitation", invitation, public=True, allowed="outsider"),
    Access("sessions_app:feed", feed, public=True, allowed="outsider"),
    Access("sessions_app:check_in", check_in, public=True, allowed="outsider"),
]
