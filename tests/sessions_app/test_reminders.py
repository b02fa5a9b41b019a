"""Reminders before sessions and check-ins after emotionally demanding ones, moving time with time-machine.

The periodic jobs run every 15 minutes (reminders) and every hour (check-ins); these tests run the
services on that rhythm over whole fortnights, across the nights the UK clocks change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, Partnership, User
from involvement import notifications
from involvement.models import ActivityLog, Notification
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, CheckIn, TeachingSession
from sessions_app.services import (
    SessionError,
    accept_invitation,
    answer_check_in,
    cancel_booking,
    cancel_session,
    check_in_from_token,
    check_in_token,
    decline_invitation,
    mark_attendance,
    send_due_check_ins,
    send_due_reminders,
)
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, invite_free, session_at
from volunteers.models import NetworkMembership, VolunteerProfile

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
QUARTER = datetime.timedelta(minutes=15)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still (at the start of 2026) until a test moves it."""
    with time_machine.travel(utc(2026, 1, 5, 9, 0), tick=False) as traveller:
        yield traveller


# Helpers ----------------------------------------------------------------------------------------


def volunteer_in(network: Any, name: str) -> VolunteerProfile:
    email = f"{name.lower().replace(' ', '.')}@example.org"
    membership = factories.NetworkMembershipFactory(
        network=network, volunteer__user__name=name, volunteer__user__email=email
    )
    return membership.volunteer


def profile_of(user: User) -> VolunteerProfile:
    return VolunteerProfile.objects.select_related("user").get(user=user)


def uk(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return london_datetime(day, datetime.time(hour, minute))


def new_session(world: World, starts_at: datetime.datetime, **fields: Any) -> TeachingSession:
    fields.setdefault("ends_at", starts_at + 2 * HOUR)
    return session_at(world.university, world.coordinator, starts_at=starts_at, title="Living with cancer", **fields)


def accepted_at(
    clock: time_machine.Traveller,
    world: World,
    session: TeachingSession,
    profile: VolunteerProfile,
    when: datetime.datetime,
) -> Booking:
    """Invite ``profile`` and have them accept at ``when``, through the services."""
    clock.move_to(when)
    [booking] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)
    return accept_invitation(booking=booking, actor=profile.user)


def every(start: datetime.datetime, stop: datetime.datetime, step: datetime.timedelta) -> Iterator[datetime.datetime]:
    moment = start
    while moment <= stop:
        yield moment
        moment += step


def run_reminders(
    clock: time_machine.Traveller,
    capture: Any,
    start: datetime.datetime,
    stop: datetime.datetime,
    step: datetime.timedelta = QUARTER,
) -> list[int]:
    """Run the reminder job every ``step`` (as beat does, every quarter hour) from ``start`` to
    ``stop``; the counts it returned, when not 0. Sessions here start on the hour, so the tests
    that only check who is reminded run it hourly to stay quick."""
    counts = []
    for moment in every(start, stop, step):
        clock.move_to(moment)
        with capture(execute=True):
            count = send_due_reminders()
        if count:
            counts.append(count)
    return counts


def reminders() -> list[tuple[str, str, datetime.datetime]]:
    """Reminder rows: (unique key, address, when queued), in order."""
    return [
        (row.unique_key, row.email, row.created_at)
        for row in Notification.objects.filter(template_key="sessions_app/reminder").order_by("created_at", "pk")
    ]


def reminder_keys() -> list[str]:
    return [key for key, _, _ in reminders()]


# Reminders: exactly once each, at the UK wall-clock time, across the clock changes -----------------


# (session day at 10:00 UK time, when the week-before reminder is due, when the day-before one is due)
MARCH = (datetime.date(2026, 3, 31), utc(2026, 3, 24, 10, 0), utc(2026, 3, 30, 9, 0))
OCTOBER = (datetime.date(2026, 10, 27), utc(2026, 10, 20, 9, 0), utc(2026, 10, 26, 10, 0))
DUE_TIMES = [
    # An ordinary fortnight in winter: UK time is UTC throughout.
    (datetime.date(2026, 2, 10), utc(2026, 2, 3, 10, 0), utc(2026, 2, 9, 10, 0)),
    # Tuesday 31 March 2026 (BST, 09:00 UTC), just after the clocks go forward on Sunday 29 March:
    # a week before is 10:00 GMT (10:00 UTC), a day before is 10:00 BST (09:00 UTC).
    MARCH,
    # Monday 30 March 2026: the day-before reminder falls on the day the clocks change.
    (datetime.date(2026, 3, 30), utc(2026, 3, 23, 10, 0), utc(2026, 3, 29, 9, 0)),
    # Tuesday 27 October 2026 (GMT, 10:00 UTC), just after the clocks go back on Sunday 25 October:
    # a week before is 10:00 BST (09:00 UTC), a day before is 10:00 GMT (10:00 UTC).
    OCTOBER,
    # Monday 26 October 2026: the day-before reminder falls on the day the clocks change.
    (datetime.date(2026, 10, 26), utc(2026, 10, 19, 9, 0), utc(2026, 10, 25, 10, 0)),
    # A summer session: both reminders in BST.
    (datetime.date(2026, 7, 14), utc(2026, 7, 7, 9, 0), utc(2026, 7, 13, 9, 0)),
]


@pytest.mark.parametrize(("session_day", "week_before", "day_before"), [MARCH, OCTOBER], ids=["march", "october"])
def test_send_due_reminders_every_quarter_hour_for_a_fortnight_sends_each_once(
    world: World,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
    session_day: datetime.date,
    week_before: datetime.datetime,
    day_before: datetime.datetime,
) -> None:
    starts_at = uk(session_day, 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)
    mail.outbox.clear()

    counts = run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at + DAY)

    assert counts == [1, 1]
    assert reminders() == [
        (f"reminder:7d:booking:{booking.pk}", world.volunteer.email, week_before),
        (f"reminder:1d:booking:{booking.pk}", world.volunteer.email, day_before),
    ]
    assert Notification.objects.filter(template_key="sessions_app/reminder").count() == 2
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([world.volunteer.email], "In 7 days: Living with cancer"),
        ([world.volunteer.email], "Tomorrow: Living with cancer"),
    ]


@pytest.mark.parametrize(("session_day", "week_before", "day_before"), DUE_TIMES)
def test_send_due_reminders_at_the_same_uk_wall_clock_time_to_the_minute(
    world: World,
    clock: time_machine.Traveller,
    session_day: datetime.date,
    week_before: datetime.datetime,
    day_before: datetime.datetime,
) -> None:
    starts_at = uk(session_day, 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)

    sent = []
    for moment in [week_before - MINUTE, week_before, week_before + MINUTE, day_before - MINUTE, day_before]:
        clock.move_to(moment)
        sent.append(send_due_reminders())
    clock.move_to(starts_at - MINUTE)
    sent.append(send_due_reminders())

    assert sent == [0, 1, 0, 0, 1, 0]
    assert reminders() == [
        (f"reminder:7d:booking:{booking.pk}", world.volunteer.email, week_before),
        (f"reminder:1d:booking:{booking.pk}", world.volunteer.email, day_before),
    ]
    assert (
        timezone.localtime(week_before).time(),
        timezone.localtime(day_before).time(),
        timezone.localdate(week_before),
        timezone.localdate(day_before),
    ) == (datetime.time(10), datetime.time(10), session_day - 7 * DAY, session_day - DAY)


def test_send_due_reminders_email_says_when_and_where_in_uk_time(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at, briefing="Please bring your notes.")
    accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)
    clock.move_to(utc(2026, 3, 24, 10, 0))

    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1

    row = Notification.objects.get(template_key="sessions_app/reminder")
    assert row.context == {
        "session": "Living with cancer",
        "when": "Tuesday 31 March 2026, 10:00–12:00",
        "where": "Room 1.01, Health Sciences Building",
        "university": "University A",
        "name": world.volunteer.name,
        "days": 7,
        "briefing": "Please bring your notes.",
        "my_sessions_url": f"{settings.SITE_URL}/my-sessions/",
    }
    [message] = [message for message in mail.outbox if message.subject.startswith("In 7 days")]
    assert "Tuesday 31 March 2026, 10:00–12:00" in message.body


def test_send_due_reminders_not_a_minute_early(world: World, clock: time_machine.Traveller) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)

    clock.move_to(utc(2026, 3, 24, 10, 0) - MINUTE)
    assert send_due_reminders() == 0
    clock.move_to(utc(2026, 3, 30, 9, 0) - MINUTE)
    assert send_due_reminders() == 1  # the week-before one, still within its window
    assert send_due_reminders() == 0
    clock.move_to(utc(2026, 3, 30, 9, 0))
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0

    assert reminder_keys() == [f"reminder:7d:booking:{booking.pk}", f"reminder:1d:booking:{booking.pk}"]


def test_send_due_reminders_with_an_explicit_time(world: World, clock: time_machine.Traveller) -> None:
    starts_at = uk(datetime.date(2026, 10, 27), 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)

    assert send_due_reminders(now=utc(2026, 10, 20, 9, 0) - MINUTE) == 0
    assert send_due_reminders(now=utc(2026, 10, 20, 9, 0)) == 1
    assert reminder_keys() == [f"reminder:7d:booking:{booking.pk}"]


def test_send_due_reminders_several_volunteers_each_once(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 14)
    session = new_session(world, starts_at, places=3)
    people = [volunteer_in(world.charity, name) for name in ["Ann Ames", "Bob Baker", "Cat Cole"]]
    bookings = [accepted_at(clock, world, session, person, starts_at - 20 * DAY) for person in people]

    counts = run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at + HOUR, step=HOUR)

    assert counts == [3, 3]
    assert sorted(reminder_keys()) == sorted(
        f"reminder:{days}d:booking:{booking.pk}" for booking in bookings for days in (7, 1)
    )
    assert sorted({when for _, _, when in reminders()}) == [utc(2026, 3, 24, 14, 0), utc(2026, 3, 30, 13, 0)]


# Reminders: only for accepted bookings of sessions going ahead ----------------------------------


def test_send_due_reminders_only_accepted_bookings(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at, places=4)
    ann, bob, cat, dan = (
        volunteer_in(world.charity, name) for name in ["Ann Ames", "Bob Baker", "Cat Cole", "Dan Dale"]
    )
    clock.move_to(starts_at - 20 * DAY)
    invited = invite_free(session=session, volunteers=[ann, bob, cat, dan], actor=world.coordinator)
    accept_invitation(booking=invited[0], actor=ann.user)
    decline_invitation(booking=invited[1], actor=bob.user)
    accept_invitation(booking=invited[3], actor=dan.user)
    cancel_booking(booking=invited[3], actor=dan.user)
    # Cat's invitation stays unanswered until it expires.

    run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at, step=HOUR)

    assert reminder_keys() == [f"reminder:7d:booking:{invited[0].pk}", f"reminder:1d:booking:{invited[0].pk}"]
    reminded = [message.to for message in mail.outbox if message.subject.startswith(("In 7 days:", "Tomorrow:"))]
    assert reminded == [["ann.ames@example.org"], ["ann.ames@example.org"]]


def test_send_due_reminders_not_for_a_cancelled_session(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)

    run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at - 5 * DAY, step=HOUR)
    cancel_session(session=session, actor=world.coordinator, reason="The room flooded.")
    run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 5 * DAY, starts_at, step=HOUR)

    assert reminder_keys() == [f"reminder:7d:booking:{booking.pk}"]


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.DRAFT, SessionStatus.COMPLETED])
def test_send_due_reminders_only_open_sessions(world: World, clock: time_machine.Traveller, status: str) -> None:
    """Even an accepted booking (left by hand, say) on a session not open gets no reminder."""
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at, status=status)
    BookingFactory(
        session=session,
        volunteer=profile_of(world.volunteer),
        status=BookingStatus.ACCEPTED,
        responded_at=utc(2026, 3, 1),
    )

    for moment in [utc(2026, 3, 24, 10, 0), utc(2026, 3, 30, 9, 0)]:
        clock.move_to(moment)
        assert send_due_reminders() == 0
    assert reminders() == []


def test_send_due_reminders_accepted_after_the_week_before_gets_only_the_day_before(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), utc(2026, 3, 24, 10, 0) + MINUTE)

    counts = run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at + DAY, step=HOUR)

    assert counts == [1]
    assert reminders() == [(f"reminder:1d:booking:{booking.pk}", world.volunteer.email, utc(2026, 3, 30, 9, 0))]


def test_send_due_reminders_accepted_after_the_day_before_gets_none(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    accepted_at(clock, world, session, profile_of(world.volunteer), utc(2026, 3, 30, 9, 0) + MINUTE)

    assert (
        run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at + DAY, step=HOUR) == []
    )
    assert reminders() == []


def test_send_due_reminders_never_late_after_an_outage(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    """The job was down from before the week-before time until after the day-before time."""
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)

    counts = run_reminders(
        clock, django_capture_on_commit_callbacks, utc(2026, 3, 30, 12, 0), starts_at + DAY, step=HOUR
    )

    assert counts == [1]
    assert reminders() == [(f"reminder:1d:booking:{booking.pk}", world.volunteer.email, utc(2026, 3, 30, 12, 0))]


def test_send_due_reminders_never_after_the_session_started(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)

    assert run_reminders(clock, django_capture_on_commit_callbacks, starts_at, starts_at + 8 * DAY, step=HOUR) == []
    assert reminders() == []


def test_send_due_reminders_not_sent_again_after_a_change_of_time(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    """Moving the session by an hour after its reminder went does not send a second one."""
    from sessions_app.services import save_session

    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at)
    booking = accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)
    run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 14 * DAY, starts_at - 3 * DAY, step=HOUR)
    save_session(actor=world.coordinator, session=session, starts_at=starts_at + HOUR, ends_at=starts_at + 3 * HOUR)

    run_reminders(clock, django_capture_on_commit_callbacks, starts_at - 3 * DAY, starts_at + 2 * HOUR, step=HOUR)

    assert reminders() == [
        (f"reminder:7d:booking:{booking.pk}", world.volunteer.email, utc(2026, 3, 24, 10, 0)),
        (f"reminder:1d:booking:{booking.pk}", world.volunteer.email, utc(2026, 3, 30, 10, 0)),
    ]


# Check-ins after emotionally demanding sessions -------------------------------------------------


@pytest.fixture
def demanding(world: World, clock: time_machine.Traveller) -> Booking:
    """The world's volunteer accepted onto an emotionally demanding session, 10 to 12 on Tuesday 31 March 2026."""
    starts_at = uk(datetime.date(2026, 3, 31), 10)
    session = new_session(world, starts_at, emotionally_demanding=True)
    return accepted_at(clock, world, session, profile_of(world.volunteer), starts_at - 20 * DAY)


SESSION_END = utc(2026, 3, 31, 11, 0)  # 12:00 BST


def run_check_ins(
    clock: time_machine.Traveller, capture: Any, start: datetime.datetime, stop: datetime.datetime
) -> list[tuple[datetime.datetime, int]]:
    """Run the check-in job every hour from ``start`` to ``stop``; (when, count) for each run that asked."""
    asked = []
    for moment in every(start, stop, HOUR):
        clock.move_to(moment)
        with capture(execute=True):
            count = send_due_check_ins()
        if count:
            asked.append((moment, count))
    return asked


def check_ins() -> list[tuple[str, str, datetime.datetime]]:
    return [
        (row.unique_key, row.email, row.created_at)
        for row in Notification.objects.filter(template_key="sessions_app/check_in").order_by("pk")
    ]


def test_send_due_check_ins_once_a_day_after_the_end(
    world: World, demanding: Booking, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()

    asked = run_check_ins(clock, django_capture_on_commit_callbacks, SESSION_END - DAY, SESSION_END + 4 * DAY)

    assert asked == [(SESSION_END + DAY, 1)]
    assert check_ins() == [(f"check-in:booking:{demanding.pk}", world.volunteer.email, SESSION_END + DAY)]
    check_in = CheckIn.objects.get()
    assert (check_in.booking, check_in.answer, check_in.answered_at) == (demanding, "", None)
    context = Notification.objects.get(template_key="sessions_app/check_in").context
    token = context["fine_url"].split("/")[-3]
    assert (context["fine_url"], context["call_url"]) == (
        f"{settings.SITE_URL}/check-in/{token}/fine/",
        f"{settings.SITE_URL}/check-in/{token}/call/",
    )
    assert check_in_from_token(token) == check_in
    [message] = [message for message in mail.outbox if message.to == [world.volunteer.email]]
    assert (message.subject, context["fine_url"] in message.body, context["call_url"] in message.body) == (
        "How are you after Living with cancer?",
        True,
        True,
    )


def test_send_due_check_ins_after_attendance_is_marked(
    world: World, demanding: Booking, clock: time_machine.Traveller
) -> None:
    clock.move_to(SESSION_END + HOUR)
    mark_attendance(session=demanding.session, actor=world.coordinator, outcomes={demanding.pk: "attended"})

    clock.move_to(SESSION_END + DAY + HOUR)
    assert send_due_check_ins() == 1
    assert send_due_check_ins() == 0


@pytest.mark.parametrize(
    ("after_end", "expected"),
    [
        (DAY - MINUTE, 0),
        (DAY, 1),
        (DAY + 12 * HOUR, 1),
        (2 * DAY - MINUTE, 1),
        (2 * DAY, 0),
        (3 * DAY, 0),
    ],
)
def test_send_due_check_ins_only_between_24_and_48_hours_after(
    demanding: Booking, clock: time_machine.Traveller, after_end: datetime.timedelta, expected: int
) -> None:
    clock.move_to(SESSION_END + after_end)

    assert send_due_check_ins() == expected
    assert CheckIn.objects.count() == expected


def test_send_due_check_ins_with_an_explicit_time(demanding: Booking) -> None:
    assert send_due_check_ins(now=SESSION_END + DAY - MINUTE) == 0
    assert send_due_check_ins(now=SESSION_END + DAY) == 1


def test_send_due_check_ins_not_for_sessions_not_emotionally_demanding(
    world: World, demanding: Booking, clock: time_machine.Traveller
) -> None:
    TeachingSession.objects.filter(pk=demanding.session_id).update(emotionally_demanding=False)
    clock.move_to(SESSION_END + DAY)

    assert (send_due_check_ins(), CheckIn.objects.count(), check_ins()) == (0, 0, [])


@pytest.mark.parametrize("status", [BookingStatus.NO_SHOW, BookingStatus.CANCELLED, BookingStatus.DECLINED])
def test_send_due_check_ins_only_for_those_who_came(
    demanding: Booking, clock: time_machine.Traveller, status: str
) -> None:
    Booking.objects.filter(pk=demanding.pk).update(status=status)
    clock.move_to(SESSION_END + DAY)

    assert (send_due_check_ins(), check_ins()) == (0, [])


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.DRAFT])
def test_send_due_check_ins_not_for_sessions_not_going_ahead(
    demanding: Booking, clock: time_machine.Traveller, status: str
) -> None:
    TeachingSession.objects.filter(pk=demanding.session_id).update(status=status)
    clock.move_to(SESSION_END + DAY)

    assert (send_due_check_ins(), check_ins()) == (0, [])


# Answering a check-in ---------------------------------------------------------------------------


@pytest.fixture
def check_in(world: World, demanding: Booking, clock: time_machine.Traveller) -> CheckIn:
    """The check-in asked a day after the session; the volunteer also belongs to Charity B."""
    factories.NetworkMembershipFactory(volunteer=profile_of(world.volunteer), network=world.other_charity)
    clock.move_to(SESSION_END + DAY)
    send_due_check_ins()
    Notification.objects.all().delete()
    mail.outbox.clear()
    clock.move_to(SESSION_END + DAY + HOUR)
    return CheckIn.objects.get()


def call_requests() -> list[tuple[str, str]]:
    return [
        (row.email, row.unique_key)
        for row in Notification.objects.filter(template_key="sessions_app/call_requested").order_by("email")
    ]


def test_answer_check_in_call_emails_the_leads_of_partnered_networks(
    world: World, check_in: CheckIn, django_capture_on_commit_callbacks: Any
) -> None:
    second = factories.staff(Membership.Role.LEAD, world.charity, email="lead2@a.example.org")
    gone = factories.staff(Membership.Role.LEAD, world.charity, email="gone@a.example.org")
    gone.is_active = False
    gone.save()
    factories.staff(Membership.Role.ADMIN, world.charity, email="admin@charity-a.example.org")
    profile = profile_of(world.volunteer)
    profile.phone = "07700 900123"
    profile.save()

    with django_capture_on_commit_callbacks(execute=True):
        answer_check_in(check_in=check_in_from_token(check_in_token(check_in)), answer="call")

    check_in.refresh_from_db()
    assert (check_in.answer, check_in.answered_at) == ("call", SESSION_END + DAY + HOUR)
    assert call_requests() == [
        ("lead2@a.example.org", f"call-requested:check-in:{check_in.pk}:lead:{second.pk}"),
        ("lead@a.example.org", f"call-requested:check-in:{check_in.pk}:lead:{world.lead.pk}"),
    ]
    context = Notification.objects.filter(template_key="sessions_app/call_requested").first().context  # type: ignore[union-attr]
    assert (context["volunteer"], context["contact"], context["session"]) == (
        world.volunteer.name,
        "07700 900123",
        "Living with cancer",
    )
    assert sorted(message.to[0] for message in mail.outbox) == ["lead2@a.example.org", "lead@a.example.org"]
    assert all("07700 900123" in message.body for message in mail.outbox)
    assert [
        (row.actor_id, row.action, row.data) for row in ActivityLog.objects.filter(action__startswith="check_in")
    ] == [(None, "check_in.call", {"booking": check_in.booking_id})]


def test_answer_check_in_call_contact_falls_back_to_email(world: World, check_in: CheckIn) -> None:
    answer_check_in(check_in=check_in, answer="call")

    assert Notification.objects.get().context["contact"] == world.volunteer.email


def test_answer_check_in_call_not_the_leads_of_other_networks(world: World, check_in: CheckIn) -> None:
    """Charity B's lead is never told, though the volunteer belongs there too: B does not partner A."""
    answer_check_in(check_in=check_in, answer="call")

    assert [email for email, _ in call_requests()] == ["lead@a.example.org"]
    assert Partnership.objects.filter(network=world.other_charity, university=world.university).exists() is False


@pytest.mark.parametrize(
    ("status", "told"),
    [
        (NetworkMembership.Status.PAUSED, ["lead@a.example.org", "lead@c.example.org"]),
        (NetworkMembership.Status.LEFT, ["lead@a.example.org"]),
        (NetworkMembership.Status.DECLINED, ["lead@a.example.org"]),
        (NetworkMembership.Status.APPLICANT, ["lead@a.example.org"]),
    ],
)
def test_answer_check_in_call_only_networks_the_volunteer_belongs_to(
    world: World, check_in: CheckIn, status: str, told: list[str]
) -> None:
    """Another partnered network hears of it while the volunteer is theirs (even paused), not once
    they have left it or before they were accepted."""
    third = factories.CharityFactory(name="Charity C")
    factories.PartnershipFactory(network=third, university=world.university)
    factories.NetworkMembershipFactory(volunteer=profile_of(world.volunteer), network=third, status=status)
    factories.staff(Membership.Role.LEAD, third, email="lead@c.example.org")

    answer_check_in(check_in=check_in, answer="call")

    assert [email for email, _ in call_requests()] == told


def test_answer_check_in_fine_emails_nobody(
    world: World, check_in: CheckIn, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer_check_in(check_in=check_in, answer="fine")

    check_in.refresh_from_db()
    assert (check_in.answer, check_in.answered_at) == ("fine", SESSION_END + DAY + HOUR)
    assert (Notification.objects.count(), mail.outbox) == (0, [])
    assert list(ActivityLog.objects.filter(action__startswith="check_in").values_list("action", flat=True)) == [
        "check_in.fine"
    ]


def test_answer_check_in_asking_twice_calls_once(world: World, check_in: CheckIn) -> None:
    answer_check_in(check_in=check_in, answer="call")
    answer_check_in(check_in=check_in, answer="fine")
    answer_check_in(check_in=check_in, answer="call")

    check_in.refresh_from_db()
    assert (check_in.answer, len(call_requests())) == ("call", 1)


def test_answer_check_in_fine_then_call_reaches_the_lead(world: World, check_in: CheckIn) -> None:
    answer_check_in(check_in=check_in, answer="fine")
    answer_check_in(check_in=check_in, answer="call")

    assert [email for email, _ in call_requests()] == ["lead@a.example.org"]


@pytest.mark.parametrize("answer", ["", "maybe", "CALL", "Fine"])
def test_answer_check_in_bad_answer_is_refused(check_in: CheckIn, answer: str) -> None:
    with pytest.raises(SessionError) as raised:
        answer_check_in(check_in=check_in, answer=answer)

    assert str(raised.value) == "Please choose one of the answers."
    check_in.refresh_from_db()
    assert (check_in.answer, check_in.answered_at, Notification.objects.count()) == ("", None, 0)
    assert ActivityLog.objects.filter(action__startswith="check_in").count() == 0


def test_check_in_from_token_round_trips(check_in: CheckIn) -> None:
    assert check_in_from_token(check_in_token(check_in)) == check_in


def test_check_in_from_token_tampered_is_refused(check_in: CheckIn) -> None:
    token = check_in_token(check_in)
    forged = signing.dumps({"check_in": check_in.pk}, salt="sessions_app.booking-invitation", compress=True)

    for bad in [token[:-1] + ("A" if token[-1] != "A" else "B"), token[:12], forged, "x"]:
        with pytest.raises(SessionError) as raised:
            check_in_from_token(bad)
        assert str(raised.value) == "This link is not valid. Please check you copied all of it."


def test_check_in_from_token_expires_after_14_days(check_in: CheckIn, clock: time_machine.Traveller) -> None:
    clock.move_to(SESSION_END + DAY)
    token = check_in_token(check_in)

    clock.move_to(SESSION_END + 15 * DAY - MINUTE)
    assert check_in_from_token(token) == check_in
    clock.move_to(SESSION_END + 15 * DAY + MINUTE)
    with pytest.raises(SessionError) as raised:
        check_in_from_token(token)
    assert str(raised.value) == "This link has expired. If you would like a call, please contact your lead."


def test_check_in_from_token_of_a_removed_check_in(check_in: CheckIn) -> None:
    token = check_in_token(check_in)
    check_in.delete()

    with pytest.raises(SessionError) as raised:
        check_in_from_token(token)
    assert str(raised.value) == "This link is not valid."


# Reminders: set-based, in bulk --------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_send_due_reminders_query_count_does_not_grow(
    world: World, clock: time_machine.Traveller, django_assert_num_queries: Any, count: int
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 14)
    session = new_session(world, starts_at, places=count)
    for index in range(count):
        accepted_at(clock, world, session, volunteer_in(world.charity, f"Volunteer {index}"), starts_at - 20 * DAY)
    clock.move_to(starts_at - 5 * DAY)

    # The bookings due for each of the two reminders (one query each, with what the email says);
    # then, for the batch, the insert and the ids written (no savepoint inside a transaction).
    with django_assert_num_queries(4):
        queued = send_due_reminders()

    assert queued == count


def test_send_due_reminders_publishes_once_per_batch(
    world: World,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notifications, "DELIVERY_BATCH", 2)
    starts_at = uk(datetime.date(2026, 3, 31), 14)
    session = new_session(world, starts_at, places=5)
    for index in range(5):
        accepted_at(clock, world, session, volunteer_in(world.charity, f"Volunteer {index}"), starts_at - 20 * DAY)
    published: list[list[int]] = []
    monkeypatch.setattr("involvement.tasks.task_deliver_notifications.delay", published.append)
    clock.move_to(starts_at - 5 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        queued = send_due_reminders()

    assert queued == 5
    assert [len(ids) for ids in published] == [2, 2, 1]
    assert sorted(pk for ids in published for pk in ids) == sorted(
        Notification.objects.filter(template_key="sessions_app/reminder").values_list("pk", flat=True)
    )


def test_send_due_reminders_pass_with_nothing_due_reads_no_booking(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    starts_at = uk(datetime.date(2026, 3, 31), 14)
    session = new_session(world, starts_at, places=2)
    for index in range(2):
        accepted_at(clock, world, session, volunteer_in(world.charity, f"Volunteer {index}"), starts_at - 20 * DAY)
    clock.move_to(starts_at - 5 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 2
    with CaptureQueriesContext(connection) as queries:
        again = send_due_reminders()

    # One query per reminder, each answering no rows: the outbox already holds both.
    assert (again, len(queries)) == (0, 2)
