"""Access-table entries for the sessions bookings pages (see tests/test_access.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from sessions_app.models import Booking
from tests import factories
from tests.access import Access
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, session_at
from tests.volunteers.access_network import member_of_charity_a
from volunteers.models import NetworkMembership


def session_of_university_a(*, ended: bool = False) -> Callable[[World], dict[str, Any]]:
    """kwargs for an open session of University A, ahead (or over, for attendance)."""

    def kwargs(world: World) -> dict[str, Any]:
        if ended:
            starts_at = timezone.now() - datetime.timedelta(days=1)
            session = session_at(
                world.university,
                world.coordinator,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=2),
            )
        else:
            session = session_at(world.university, world.coordinator)
        return {"pk": session.pk}

    return kwargs


def accepted_booking_of_university_a(world: World) -> dict[str, Any]:
    session = session_at(world.university, world.coordinator)
    volunteer = factories.NetworkMembershipFactory(network=world.charity).volunteer
    booking = BookingFactory(session=session, volunteer=volunteer, status=Booking.Status.ACCEPTED)
    return {"pk": booking.pk}


def declined_booking_of_university_a(world: World) -> dict[str, Any]:
    session = session_at(world.university, world.coordinator)
    volunteer = factories.NetworkMembershipFactory(network=world.charity).volunteer
    booking = BookingFactory(session=session, volunteer=volunteer, status=Booking.Status.DECLINED)
    return {"pk": booking.pk}


def attended_booking_of_university_a(world: World) -> dict[str, Any]:
    starts_at = timezone.now() - datetime.timedelta(days=2)
    session = session_at(
        world.university, world.coordinator, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=2)
    )
    volunteer = factories.NetworkMembershipFactory(network=world.charity).volunteer
    booking = BookingFactory(session=session, volunteer=volunteer, status=Booking.Status.ATTENDED)
    return {"pk": booking.pk}


def coordinator_page(name: str, kwargs: Callable[[World], dict[str, Any]], **options: Any) -> Access:
    return Access(name, kwargs, allowed="coordinator", wrong_role="lead", other_org="other_coordinator", **options)


ACCESS_BOOKINGS: list[Access] = [
    coordinator_page("sessions_app:matching", session_of_university_a()),
    # POST only; an empty POST invites nobody and answers 400 with "Please tick at least one volunteer".
    coordinator_page("sessions_app:invite", session_of_university_a(), method="post", allowed_status=400),
    coordinator_page("sessions_app:message", session_of_university_a()),
    coordinator_page("sessions_app:attendance", session_of_university_a(ended=True)),
    coordinator_page("sessions_app:booking_cancel", accepted_booking_of_university_a),
    coordinator_page("sessions_app:reinvite", declined_booking_of_university_a),
    coordinator_page("sessions_app:attendance_correct", attended_booking_of_university_a),
    # A lead's page of a volunteer's sessions at the network's partner universities.
    Access(
        "sessions_app:network_participation",
        member_of_charity_a(NetworkMembership.Status.ACTIVE),
        allowed="lead",
        wrong_role="coordinator",
        other_org="other_lead",
    ),
]
