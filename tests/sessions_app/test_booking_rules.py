"""The booking rules the trust-and-structure review pinned: the status gatekeepers and their
tables, invitations that keep the availability page's promise, inviting again, moving a session
without double-booking anyone, durations in UTC, and correcting attendance."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from involvement.models import ActivityLog, Notification
from sessions_app import services
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import (
    BOOKING_TRANSITIONS,
    SESSION_TRANSITIONS,
    SessionError,
    accept_invitation,
    booking_from_token,
    cancel_booking,
    correct_attendance,
    decline_invitation,
    expire_invitations,
    invitation_token,
    invite_volunteers,
    mark_attendance,
    reinvite,
    save_session,
    set_booking_status,
    set_session_status,
)
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, free_for, session_at
from volunteers.models import NetworkMembership, VolunteerProfile

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# Monday 2 March 2026, 09:30 UTC (UK winter time).
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def uk(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return london_datetime(day, datetime.time(hour, minute))


MONDAY_16 = datetime.date(2026, 3, 16)
SUNDAY_15 = datetime.date(2026, 3, 15)


def volunteer(world: World, name: str, **profile: Any) -> VolunteerProfile:
    membership = factories.NetworkMembershipFactory(
        network=world.charity, volunteer__user__name=name, status=NetworkMembership.Status.ACTIVE
    )
    person = membership.volunteer
    for field, value in profile.items():
        setattr(person, field, value)
    person.save()
    return person


def session(world: World, start: datetime.datetime, end: datetime.datetime, **fields: Any) -> TeachingSession:
    return session_at(world.university, world.coordinator, starts_at=start, ends_at=end, **fields)


def accepted(world: World, person: VolunteerProfile, target: TeachingSession) -> Booking:
    free_for(target, person)
    [booking] = invite_volunteers(session=target, volunteers=[person], actor=world.coordinator)
    return accept_invitation(booking=booking, actor=person.user)


# The gatekeepers --------------------------------------------------------------------------------


ALL_BOOKING_MOVES = list(itertools.product(BookingStatus.values, BookingStatus.values))
ALL_SESSION_MOVES = list(itertools.product(SessionStatus.values, SessionStatus.values))


@pytest.mark.parametrize(
    ("start", "end"), [move for move in ALL_BOOKING_MOVES if move[1] not in BOOKING_TRANSITIONS[move[0]]]
)
def test_booking_gatekeeper_refuses_every_move_outside_its_table(world: World, start: str, end: str) -> None:
    booking = BookingFactory(status=start, session=session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12)))
    before = ActivityLog.objects.count()

    with pytest.raises(SessionError):
        set_booking_status(booking, end, actor=world.coordinator)

    booking.refresh_from_db()
    assert (booking.status, ActivityLog.objects.count()) == (start, before)


@pytest.mark.parametrize(
    ("start", "end"), [move for move in ALL_BOOKING_MOVES if move[1] in BOOKING_TRANSITIONS[move[0]]]
)
def test_booking_gatekeeper_makes_every_move_of_its_table_and_records_it(world: World, start: str, end: str) -> None:
    booking = BookingFactory(status=start, session=session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12)))

    set_booking_status(booking, end, actor=world.coordinator)

    booking.refresh_from_db()
    assert booking.status == end
    assert list(ActivityLog.objects.filter(object_id=str(booking.pk)).values_list("action", "data")) == [
        (f"booking.{end}", {"from": start, "to": end})
    ]


@pytest.mark.parametrize(
    ("start", "end"), [move for move in ALL_SESSION_MOVES if move[1] not in SESSION_TRANSITIONS[move[0]]]
)
def test_session_gatekeeper_refuses_every_move_outside_its_table(world: World, start: str, end: str) -> None:
    target = session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12), status=start)

    with pytest.raises(SessionError):
        set_session_status(target, end, actor=world.coordinator)

    target.refresh_from_db()
    assert target.status == start


@pytest.mark.parametrize(
    ("start", "end"), [move for move in ALL_SESSION_MOVES if move[1] in SESSION_TRANSITIONS[move[0]]]
)
def test_session_gatekeeper_makes_every_move_of_its_table(world: World, start: str, end: str) -> None:
    target = session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12), status=start)

    set_session_status(target, end, actor=world.coordinator)

    target.refresh_from_db()
    assert (target.status, ActivityLog.objects.filter(action=f"session.{end}").count()) == (end, 1)


def test_no_code_outside_the_gatekeepers_writes_a_status() -> None:
    """Only ``set_booking_status`` and ``set_session_status`` assign ``.status`` in the services."""
    import inspect
    import re

    source = inspect.getsource(services)
    writers = re.findall(r"^def (\w+)\(.*?(?=^def |\Z)", source, flags=re.S | re.M)
    assigning = sorted(
        name
        for name, body in re.findall(r"^def (\w+)\((.*?)(?=^def |\Z)", source, flags=re.S | re.M)
        if re.search(r"\b(booking|session|locked)\.status = ", body)
    )
    assert writers
    assert assigning == ["set_booking_status", "set_session_status"]


# The promise of the availability page -----------------------------------------------------------


def test_invitation_outside_the_weekly_pattern_is_refused_with_the_reason(world: World) -> None:
    sunday = session(world, uk(SUNDAY_15, 10), uk(SUNDAY_15, 12))
    siân = volunteer(world, "Siân O'Brien")

    with pytest.raises(SessionError) as error:
        invite_volunteers(session=sunday, volunteers=[siân], actor=world.coordinator)

    assert str(error.value) == (
        "This invitation goes beyond what they told us: Siân O'Brien: not usually free on Sunday mornings. "
        "Invite them only if you have agreed it with them first, and tick the box to say so."
    )
    assert (error.value.field, Booking.objects.count(), Notification.objects.count()) == (
        "agreed_with_volunteer",
        0,
        0,
    )


def test_invitation_during_time_away_is_refused(world: World) -> None:
    monday = session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12))
    person = volunteer(world, "Zoë Adeyemi")
    free_for(monday, person)
    factories.TimeAwayFactory(
        volunteer=person, starts_on=datetime.date(2026, 3, 14), ends_on=datetime.date(2026, 3, 20)
    )

    with pytest.raises(SessionError) as error:
        invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator)

    assert "Zoë Adeyemi: away from 14 March to 20 March" in str(error.value)
    assert Booking.objects.count() == 0


def test_invitation_over_the_monthly_cap_is_refused(world: World) -> None:
    monday = session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12))
    person = volunteer(world, "Rhys Llewellyn", monthly_session_cap=1)
    earlier = session(world, uk(datetime.date(2026, 3, 9), 10), uk(datetime.date(2026, 3, 9), 12))
    BookingFactory(session=earlier, volunteer=person, status=BookingStatus.ACCEPTED)
    free_for(monday, person)

    with pytest.raises(SessionError) as error:
        invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator)

    assert "Rhys Llewellyn: already has 1 session in March, the most they asked for is 1" in str(error.value)


def test_invitation_agreed_with_the_volunteer_goes_and_is_recorded(world: World) -> None:
    sunday = session(world, uk(SUNDAY_15, 10), uk(SUNDAY_15, 12))
    siân = volunteer(world, "Siân O'Brien")

    [booking] = invite_volunteers(
        session=sunday, volunteers=[siân], actor=world.coordinator, agreed_with_volunteer=True
    )

    assert booking.status == BookingStatus.INVITED
    assert list(ActivityLog.objects.filter(action="booking.invited").values_list("actor", "data")) == [
        (
            world.coordinator.pk,
            {
                "session": sunday.pk,
                "volunteer": siân.pk,
                "round": 1,
                "agreed_outside": ["not usually free on Sunday mornings"],
            },
        )
    ]


def test_invitation_within_what_they_said_records_no_agreement(world: World) -> None:
    monday = session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12))
    person = volunteer(world, "Ngozi Okafor")
    free_for(monday, person)

    invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator, agreed_with_volunteer=True)

    assert list(ActivityLog.objects.filter(action="booking.invited").values_list("data", flat=True)) == [
        {"session": monday.pk, "volunteer": person.pk, "round": 1}
    ]


# Inviting again ----------------------------------------------------------------------------------


@pytest.fixture
def monday(world: World) -> TeachingSession:
    return session(world, uk(MONDAY_16, 10), uk(MONDAY_16, 12))


@pytest.fixture
def person(world: World, monday: TeachingSession) -> VolunteerProfile:
    profile = volunteer(world, "Aoife Ní Bhriain")
    free_for(monday, profile)
    return profile


def test_expired_invitation_can_be_sent_again_with_a_new_link(
    world: World, monday: TeachingSession, person: VolunteerProfile, frozen: time_machine.Traveller
) -> None:
    [booking] = invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator)
    old_link = invitation_token(booking)
    frozen.move_to(NOW + 8 * DAY)
    expire_invitations()

    [again] = invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator)

    again.refresh_from_db()
    assert (again.pk, again.status, again.invitation_round) == (booking.pk, BookingStatus.INVITED, 2)
    assert again.invitation_expires_at == uk(MONDAY_16, 10)
    with pytest.raises(SessionError) as error:
        booking_from_token(old_link)
    assert str(error.value) == (
        "You have been sent a newer invitation to this session. Please use the link in the latest email."
    )
    assert booking_from_token(invitation_token(again)).pk == booking.pk
    assert sorted(
        Notification.objects.filter(template_key="sessions_app/invitation").values_list("unique_key", flat=True)
    ) == [
        f"invitation:booking:{booking.pk}",
        f"invitation:booking:{booking.pk}:round:2",
    ]
    assert accept_invitation(booking=again, actor=person.user).status == BookingStatus.ACCEPTED


def test_declined_invitation_can_be_sent_again(world: World, monday: TeachingSession, person: VolunteerProfile) -> None:
    [booking] = invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator)
    decline_invitation(booking=booking, actor=person.user)

    again = reinvite(booking=booking, actor=world.coordinator)

    assert (again.status, again.invitation_round, again.responded_at) == (BookingStatus.INVITED, 2, None)
    assert list(
        ActivityLog.objects.filter(object_id=str(booking.pk)).order_by("pk").values_list("action", flat=True)
    ) == ["booking.invited", "booking.declined", "booking.reinvited", "booking.invited"]


def test_cancelled_place_is_final_for_a_plain_invitation(
    world: World, monday: TeachingSession, person: VolunteerProfile
) -> None:
    booking = accepted(world, person, monday)
    cancel_booking(booking=booking, actor=person.user, reason="my chemo day")

    with pytest.raises(SessionError) as error:
        invite_volunteers(session=monday, volunteers=[person], actor=world.coordinator)

    assert str(error.value) == (
        "Aoife Ní Bhriain cancelled their place on this session. To invite them again after talking with them, "
        "use “Invite again” on the session page."
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cancelled_place_can_be_offered_again_on_purpose(
    world: World, monday: TeachingSession, person: VolunteerProfile
) -> None:
    booking = accepted(world, person, monday)
    cancel_booking(booking=booking, actor=person.user, reason="my chemo day")

    again = reinvite(booking=booking, actor=world.coordinator)

    assert (again.status, again.cancel_reason, again.cancelled_at, again.invitation_round) == (
        BookingStatus.INVITED,
        "",
        None,
        2,
    )
    accepted_again = accept_invitation(booking=again, actor=person.user)
    assert accepted_again.status == BookingStatus.ACCEPTED
    assert sorted(
        Notification.objects.filter(template_key="sessions_app/booking_confirmed").values_list("unique_key", flat=True)
    ) == [f"booking-confirmed:{booking.pk}", f"booking-confirmed:{booking.pk}:round:2"]


@pytest.mark.parametrize("status", [BookingStatus.ACCEPTED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW])
def test_reinvite_refused_while_a_place_is_held_or_marked(
    world: World, monday: TeachingSession, person: VolunteerProfile, status: str
) -> None:
    booking = BookingFactory(session=monday, volunteer=person, status=status)

    with pytest.raises(SessionError) as error:
        reinvite(booking=booking, actor=world.coordinator)

    assert str(error.value).startswith("Aoife Ní Bhriain already has a place on this session")


def test_reinvite_refused_for_another_universitys_coordinator(
    world: World, monday: TeachingSession, person: VolunteerProfile
) -> None:
    booking = BookingFactory(session=monday, volunteer=person, status=BookingStatus.DECLINED)

    with pytest.raises(SessionError) as error:
        reinvite(booking=booking, actor=world.other_coordinator)

    assert str(error.value) == "Only a coordinator of the university can invite volunteers to this session."


def test_accept_and_decline_tell_the_coordinator(
    world: World, monday: TeachingSession, person: VolunteerProfile
) -> None:
    other = volunteer(world, "Bronwen Hughes")
    free_for(monday, other)
    first, second = invite_volunteers(session=monday, volunteers=[person, other], actor=world.coordinator)

    accept_invitation(booking=first, actor=person.user)
    decline_invitation(booking=second, actor=other.user)

    rows = Notification.objects.filter(recipient=world.coordinator).order_by("pk")
    assert [(row.template_key, row.about_id, row.context["volunteer"], row.context["filled"]) for row in rows] == [
        ("sessions_app/booking_accepted_owner", person.user_id, "Aoife Ní Bhriain", 1),
        ("sessions_app/booking_declined_owner", other.user_id, "Bronwen Hughes", 1),
    ]


# Moving a session ---------------------------------------------------------------------------------


def test_moving_a_session_onto_another_accepted_booking_is_refused(world: World) -> None:
    """The peer case: accepted into 09:00–12:00 and 13:00–15:00; the second moved to 11:00–13:00."""
    person = volunteer(world, "Dafydd ap Gwilym")
    morning = session(world, uk(MONDAY_16, 9), uk(MONDAY_16, 12), title="Morning OSCE")
    afternoon = session(world, uk(MONDAY_16, 13), uk(MONDAY_16, 15), title="Afternoon panel")
    accepted(world, person, morning)
    accepted(world, person, afternoon)

    with pytest.raises(SessionError) as error:
        save_session(actor=world.coordinator, session=afternoon, starts_at=uk(MONDAY_16, 11), ends_at=uk(MONDAY_16, 13))

    assert str(error.value) == (
        "These new times would overlap another session for volunteers who have accepted: Dafydd ap Gwilym is "
        "booked into “Morning OSCE” (Monday 16 March 2026, 09:00–12:00). Please talk to them before moving "
        "the session, or keep its times."
    )
    assert error.value.field == "start_time"
    afternoon.refresh_from_db()
    assert (afternoon.starts_at, afternoon.ends_at) == (uk(MONDAY_16, 13), uk(MONDAY_16, 15))
    assert Notification.objects.filter(template_key="sessions_app/session_changed").count() == 0


def test_extending_a_session_onto_another_accepted_booking_is_refused(world: World) -> None:
    person = volunteer(world, "Dafydd ap Gwilym")
    morning = session(world, uk(MONDAY_16, 9), uk(MONDAY_16, 12), title="Morning OSCE")
    afternoon = session(world, uk(MONDAY_16, 13), uk(MONDAY_16, 15), title="Afternoon panel")
    accepted(world, person, morning)
    accepted(world, person, afternoon)

    with pytest.raises(SessionError):
        save_session(actor=world.coordinator, session=morning, ends_at=uk(MONDAY_16, 13, 30))

    morning.refresh_from_db()
    assert morning.ends_at == uk(MONDAY_16, 12)


def test_moving_a_session_back_to_back_is_allowed(world: World) -> None:
    person = volunteer(world, "Dafydd ap Gwilym")
    morning = session(world, uk(MONDAY_16, 9), uk(MONDAY_16, 12))
    afternoon = session(world, uk(MONDAY_16, 13), uk(MONDAY_16, 15))
    accepted(world, person, morning)
    accepted(world, person, afternoon)

    save_session(actor=world.coordinator, session=afternoon, starts_at=uk(MONDAY_16, 12), ends_at=uk(MONDAY_16, 14))

    afternoon.refresh_from_db()
    assert afternoon.starts_at == uk(MONDAY_16, 12)
    assert Notification.objects.filter(template_key="sessions_app/session_changed").count() == 1


def test_moving_a_session_ignores_bookings_not_accepted(world: World) -> None:
    person = volunteer(world, "Dafydd ap Gwilym")
    morning = session(world, uk(MONDAY_16, 9), uk(MONDAY_16, 12))
    afternoon = session(world, uk(MONDAY_16, 13), uk(MONDAY_16, 15))
    BookingFactory(session=morning, volunteer=person, status=BookingStatus.CANCELLED)
    accepted(world, person, afternoon)

    save_session(actor=world.coordinator, session=afternoon, starts_at=uk(MONDAY_16, 11))

    afternoon.refresh_from_db()
    assert afternoon.starts_at == uk(MONDAY_16, 11)


# Overlaps and durations in UTC (the peer projects' cases) ---------------------------------------


def accept_both(
    world: World,
    first: tuple[datetime.datetime, datetime.datetime],
    second: tuple[datetime.datetime, datetime.datetime],
) -> str:
    person = volunteer(world, "Ingrid Ødegård")
    accepted(world, person, session(world, *first, title="First"))
    later = session(world, *second, title="Second")
    free_for(later, person)
    [booking] = invite_volunteers(
        session=later, volunteers=[person], actor=world.coordinator, agreed_with_volunteer=True
    )
    try:
        accept_invitation(booking=booking, actor=person.user)
    except SessionError as error:
        return str(error)
    return "accepted"


CLOCKS_FORWARD = datetime.date(2026, 3, 29)
CLOCKS_BACK = datetime.date(2026, 10, 25)


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [
        pytest.param((9, 0, 12, 0), (12, 0, 14, 0), "accepted", id="back-to-back"),
        pytest.param((9, 0, 12, 0), (11, 59, 14, 0), "clash", id="one-minute-overlap"),
        pytest.param((9, 0, 12, 0), (13, 0, 15, 0), "accepted", id="apart"),
        pytest.param((9, 0, 17, 0), (10, 0, 11, 0), "clash", id="inside"),
    ],
)
def test_overlap_cases(world: World, first: tuple[int, ...], second: tuple[int, ...], outcome: str) -> None:
    day = datetime.date(2026, 3, 18)
    result = accept_both(
        world,
        (uk(day, first[0], first[1]), uk(day, first[2], first[3])),
        (uk(day, second[0], second[1]), uk(day, second[2], second[3])),
    )

    assert result == ("accepted" if outcome == "accepted" else "You are already booked into “First” at that time.")


def test_overlap_across_midnight(world: World) -> None:
    day = datetime.date(2026, 3, 18)
    night = (uk(day, 22), uk(day + DAY, 2))

    assert accept_both(world, night, (uk(day + DAY, 1), uk(day + DAY, 3))) == (
        "You are already booked into “First” at that time."
    )


def test_overlap_across_the_clocks_going_back_is_measured_in_utc(world: World) -> None:
    """22:00 BST to 02:00 GMT lasts five hours: a session from 01:30 GMT overlaps it, one from 02:00 does not."""
    night = (uk(CLOCKS_BACK - DAY, 22), uk(CLOCKS_BACK, 2))
    half_past_one_gmt = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)

    assert accept_both(world, night, (half_past_one_gmt, uk(CLOCKS_BACK, 4))) == (
        "You are already booked into “First” at that time."
    )


def test_back_to_back_across_the_clocks_going_back(world: World) -> None:
    night = (uk(CLOCKS_BACK - DAY, 22), uk(CLOCKS_BACK, 2))

    assert accept_both(world, night, (uk(CLOCKS_BACK, 2), uk(CLOCKS_BACK, 4))) == "accepted"


def test_overlap_across_the_clocks_going_forward(world: World) -> None:
    night = (uk(CLOCKS_FORWARD - DAY, 23), uk(CLOCKS_FORWARD, 3))

    assert accept_both(world, night, (uk(CLOCKS_FORWARD, 0, 30), uk(CLOCKS_FORWARD, 4))) == (
        "You are already booked into “First” at that time."
    )


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        pytest.param((CLOCKS_BACK - DAY, 22), (CLOCKS_BACK, 2), Decimal("5.00"), id="clocks-go-back"),
        pytest.param((CLOCKS_FORWARD - DAY, 22), (CLOCKS_FORWARD, 3), Decimal("4.00"), id="clocks-go-forward"),
        pytest.param((MONDAY_16, 10), (MONDAY_16, 12), Decimal("2.00"), id="ordinary"),
    ],
)
def test_duration_is_measured_in_utc(
    start: tuple[datetime.date, int], end: tuple[datetime.date, int], hours: Decimal
) -> None:
    """Built with UK wall-clock times (one tzinfo), as the session form builds them."""
    built = TeachingSession(starts_at=uk(*start), ends_at=uk(*end))

    assert built.duration_hours == hours


# Correcting attendance -----------------------------------------------------------------------------


@pytest.fixture
def marked(world: World, monday: TeachingSession, person: VolunteerProfile, frozen: time_machine.Traveller) -> Booking:
    booking = accepted(world, person, monday)
    frozen.move_to(uk(MONDAY_16, 13))
    mark_attendance(session=monday, actor=world.coordinator, outcomes={booking.pk: BookingStatus.ATTENDED})
    booking.refresh_from_db()
    return booking


def test_attendance_can_be_corrected_and_is_recorded(world: World, marked: Booking) -> None:
    corrected = correct_attendance(booking=marked, actor=world.coordinator, status=BookingStatus.NO_SHOW)

    corrected.refresh_from_db()
    assert (corrected.status, corrected.hours) == (BookingStatus.NO_SHOW, None)
    assert list(
        ActivityLog.objects.filter(action="booking.attendance_corrected").values_list("actor", "object_id", "data")
    ) == [(world.coordinator.pk, str(marked.pk), {"from": "attended", "to": "no_show"})]

    back = correct_attendance(booking=corrected, actor=world.coordinator, status=BookingStatus.ATTENDED)
    assert (back.status, back.hours) == (BookingStatus.ATTENDED, Decimal("2.00"))


def test_attendance_correction_after_30_days_is_refused(
    world: World, marked: Booking, frozen: time_machine.Traveller
) -> None:
    frozen.move_to(uk(MONDAY_16, 12).astimezone(UTC) + 30 * DAY + HOUR)

    with pytest.raises(SessionError) as error:
        correct_attendance(booking=marked, actor=world.coordinator, status=BookingStatus.NO_SHOW)

    assert str(error.value) == (
        "Attendance can be corrected for 30 days after the session, so until Wednesday 15 April 2026, 13:00; "
        "it can no longer be changed."
    )
    marked.refresh_from_db()
    assert marked.status == BookingStatus.ATTENDED


def test_attendance_correction_by_another_university_is_refused(world: World, marked: Booking) -> None:
    with pytest.raises(SessionError):
        correct_attendance(booking=marked, actor=world.other_coordinator, status=BookingStatus.NO_SHOW)

    marked.refresh_from_db()
    assert marked.status == BookingStatus.ATTENDED


def test_attendance_correction_to_the_same_answer_is_refused(world: World, marked: Booking) -> None:
    with pytest.raises(SessionError) as error:
        correct_attendance(booking=marked, actor=world.coordinator, status=BookingStatus.ATTENDED)

    assert str(error.value) == "Aoife Ní Bhriain is already marked attended."


def test_attendance_correction_guard_can_refuse(world: World, marked: Booking) -> None:
    def guard(booking: Booking, status: str) -> str | None:
        return "A claim has been sent." if status == BookingStatus.NO_SHOW else None

    services.register_attendance_correction_guard(guard)
    try:
        with pytest.raises(SessionError) as error:
            correct_attendance(booking=marked, actor=world.coordinator, status=BookingStatus.NO_SHOW)
    finally:
        services._CORRECTION_GUARDS.remove(guard)

    assert str(error.value) == "A claim has been sent."
    marked.refresh_from_db()
    assert marked.status == BookingStatus.ATTENDED


def test_attendance_cannot_be_corrected_before_it_is_marked(
    world: World, monday: TeachingSession, person: VolunteerProfile
) -> None:
    booking = accepted(world, person, monday)

    with pytest.raises(SessionError) as error:
        correct_attendance(booking=booking, actor=world.coordinator, status=BookingStatus.NO_SHOW)

    assert str(error.value) == "Only attendance that has been marked can be corrected."
    assert timezone.now() == NOW
