"""Reminders, check-ins and feedback requests across the four Europe/London clock changes of 2026
and 2027, stepping the clock through each change at the beat schedule's own cadence.

For each change, sessions are placed around it (the day before, the day of, the day after, a week
after; at 10:00, at 08:00, late at night, and at 01:30: the hour that does not exist in spring and
happens twice in autumn). Their volunteers accept three weeks ahead; the coordinator marks
attendance after each session. Then the clock moves in five-minute steps and, at each step, runs
every periodic job that ``CELERY_BEAT_SCHEDULE`` says is due at that UK wall-clock time (reminders
on the quarter hours, check-ins at five past each hour, feedback reminders at 10:30): the real
Celery tasks. Each job runs at that cadence, every tick from 00:00 to 24:00 UK time, on the change
day and the days either side and on every day one of its emails falls due. With
``CLOCK_CHANGE_SOAK=1`` in the environment, each runs on every day of its whole window
(``WINDOWS``: reminders from 9 days before the change to 7 days after, check-ins from the day
before to 10 days after, feedback reminders from 2 days before to 16 days after), four times the
work. The jobs are idempotent, so an email falling due early, in a day not stepped through, would
still be asked for at the first tick after it, at a time that is not the one expected: the
shorter run catches a wrong time as well, and the soak adds every tick in between.

Every email the sweeps and the attendance hook ask the outbox for is recorded as it is asked for,
so a second try (which the outbox's unique key would hide) shows as a duplicate. Each must be
asked for exactly once, at the UK wall-clock time written out below: reminders at the session's
own wall-clock time 7 days and 1 day before; check-ins at the first five-past-the-hour 24 hours
(elapsed, as DESIGN.md counts them) after the end; feedback requests when attendance is marked and
reminded at the first 10:30 seven days (by the calendar) after.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

import feedback.services
import sessions_app.services
from feedback.tasks import task_send_feedback_reminders
from involvement.models import Notification
from involvement.notifications import Outgoing
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import accept_invitation, mark_attendance
from sessions_app.tasks import task_send_due_check_ins, task_send_due_reminders
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import invite_free, session_at

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
STEP = datetime.timedelta(minutes=5)
# The periodic jobs this test runs, by their beat schedule entry, with the task each entry names.
JOBS: dict[str, Callable[[], None]] = {
    "sessions_app.send_due_reminders": task_send_due_reminders,
    "sessions_app.send_due_check_ins": task_send_due_check_ins,
    "feedback.send_feedback_reminders": task_send_feedback_reminders,
}
# Where each job runs, in days from the change (from 00:00 UK time on the first to 00:00 on the second).
WINDOWS = {
    "sessions_app.send_due_reminders": (-9, 7),
    "sessions_app.send_due_check_ins": (-1, 10),
    "feedback.send_feedback_reminders": (-2, 16),
}
EVENTS = ("7d", "1d", "check-in", "feedback", "feedback-reminder")
# The emails each job queues, by event.
JOB_EVENTS = {
    "sessions_app.send_due_reminders": ("7d", "1d"),
    "sessions_app.send_due_check_ins": ("check-in",),
    "feedback.send_feedback_reminders": ("feedback-reminder",),
}
SOAK = os.environ.get("CLOCK_CHANGE_SOAK") == "1"


def day(change: datetime.date, offset: int) -> datetime.date:
    return change + datetime.timedelta(days=offset)


def uk(change: datetime.date, offset: int, wall: str) -> datetime.datetime:
    """``wall`` (HH:MM) in the UK, ``offset`` days from the change: a time that happens once."""
    return london_datetime(day(change, offset), datetime.time.fromisoformat(wall))


def twice(change: datetime.date, wall: str, *, second: bool) -> datetime.datetime:
    """``wall`` on the autumn night it happens twice: the first (BST) or the second (GMT) time."""
    naive = datetime.datetime.combine(change, datetime.time.fromisoformat(wall))
    moment = naive.replace(tzinfo=LONDON, fold=int(second))
    assert moment.tzname() == ("GMT" if second else "BST")
    return moment.astimezone(UTC)


def at(change: datetime.date, offset: int, wall: str) -> str:
    """How an expected time is written: ``"2026-03-22 10:00 GMT"`` (the zone tells the two 01:30s apart)."""
    return f"{day(change, offset):%Y-%m-%d} {wall}"


def shown(moment: datetime.datetime) -> str:
    return f"{moment.astimezone(LONDON):%Y-%m-%d %H:%M %Z}"


@dataclass(frozen=True)
class Planned:
    """A session around a change: when it starts, how long it lasts, when attendance is marked, and
    when (UK wall clock) each email about it must be asked for."""

    name: str
    starts: datetime.datetime
    minutes: int
    marked: datetime.datetime
    expected: dict[str, str]


def spring(c: datetime.date) -> list[Planned]:
    """The clocks go forward at 01:00 GMT on ``c``: 01:00–01:59 does not exist that night."""
    return [
        # Saturday morning before the change, marked at 10:00 GMT: the feedback reminder's week
        # crosses the change, and 10:30 BST a week later is 6 days 23½ hours on.
        Planned(
            "Saturday 08:00 before",
            uk(c, -1, "08:00"),
            90,
            uk(c, -1, "10:00"),
            {
                "7d": at(c, -8, "08:00 GMT"),
                "1d": at(c, -2, "08:00 GMT"),
                # Ends 09:30 GMT; 24 hours on is 10:30 BST, so five past the next hour.
                "check-in": at(c, 0, "11:05 BST"),
                "feedback": at(c, -1, "10:00 GMT"),
                "feedback-reminder": at(c, 6, "10:30 BST"),
            },
        ),
        # Ends at 01:00 GMT on Saturday night: its check-in falls due in the hour that is skipped.
        Planned(
            "Saturday 00:00 before",
            uk(c, -1, "00:00"),
            60,
            uk(c, -1, "09:00"),
            {
                "7d": at(c, -8, "00:00 GMT"),
                "1d": at(c, -2, "00:00 GMT"),
                "check-in": at(c, 0, "02:05 BST"),
                "feedback": at(c, -1, "09:00 GMT"),
                "feedback-reminder": at(c, 6, "10:30 BST"),
            },
        ),
        Planned(
            "the day of the change, 10:00",
            uk(c, 0, "10:00"),
            120,
            uk(c, 0, "12:30"),
            {
                "7d": at(c, -7, "10:00 GMT"),
                "1d": at(c, -1, "10:00 GMT"),
                "check-in": at(c, 1, "12:05 BST"),
                "feedback": at(c, 0, "12:30 BST"),
                "feedback-reminder": at(c, 8, "10:30 BST"),
            },
        ),
        Planned(
            "the day after, 10:00",
            uk(c, 1, "10:00"),
            120,
            uk(c, 1, "12:30"),
            {
                "7d": at(c, -6, "10:00 GMT"),
                "1d": at(c, 0, "10:00 BST"),
                "check-in": at(c, 2, "12:05 BST"),
                "feedback": at(c, 1, "12:30 BST"),
                "feedback-reminder": at(c, 9, "10:30 BST"),
            },
        ),
        # 01:30 the night after: the day before is the change night, when 01:30 never comes; the
        # reminder goes when the clock has passed it (01:30 GMT is 02:30 BST).
        Planned(
            "the day after, 01:30",
            uk(c, 1, "01:30"),
            120,
            uk(c, 1, "09:00"),
            {
                "7d": at(c, -6, "01:30 GMT"),
                "1d": at(c, 0, "02:30 BST"),
                "check-in": at(c, 2, "04:05 BST"),
                "feedback": at(c, 1, "09:00 BST"),
                "feedback-reminder": at(c, 8, "10:30 BST"),
            },
        ),
        Planned(
            "a week after, 10:00",
            uk(c, 7, "10:00"),
            120,
            uk(c, 7, "12:30"),
            {
                "7d": at(c, 0, "10:00 BST"),
                "1d": at(c, 6, "10:00 BST"),
                "check-in": at(c, 8, "12:05 BST"),
                "feedback": at(c, 7, "12:30 BST"),
                "feedback-reminder": at(c, 15, "10:30 BST"),
            },
        ),
        Planned(
            "a week after, 01:30",
            uk(c, 7, "01:30"),
            120,
            uk(c, 7, "09:00"),
            {
                "7d": at(c, 0, "02:30 BST"),
                "1d": at(c, 6, "01:30 BST"),
                "check-in": at(c, 8, "04:05 BST"),
                "feedback": at(c, 7, "09:00 BST"),
                "feedback-reminder": at(c, 14, "10:30 BST"),
            },
        ),
    ]


def autumn(c: datetime.date) -> list[Planned]:
    """The clocks go back at 02:00 BST on ``c``: 01:00–01:59 happens twice that night."""
    return [
        Planned(
            "Saturday 08:00 before",
            uk(c, -1, "08:00"),
            90,
            uk(c, -1, "10:00"),
            {
                "7d": at(c, -8, "08:00 BST"),
                "1d": at(c, -2, "08:00 BST"),
                # Ends 09:30 BST; 24 hours on is 08:30 GMT.
                "check-in": at(c, 0, "09:05 GMT"),
                "feedback": at(c, -1, "10:00 BST"),
                "feedback-reminder": at(c, 6, "10:30 GMT"),
            },
        ),
        # Ends at 01:00 BST on Saturday night: its check-in is due at the first 01:05 of the change
        # night, and the job runs again at the second 01:05 an hour later.
        Planned(
            "Saturday 00:00 before",
            uk(c, -1, "00:00"),
            60,
            uk(c, -1, "09:00"),
            {
                "7d": at(c, -8, "00:00 BST"),
                "1d": at(c, -2, "00:00 BST"),
                "check-in": at(c, 0, "01:05 BST"),
                "feedback": at(c, -1, "09:00 BST"),
                "feedback-reminder": at(c, 6, "10:30 GMT"),
            },
        ),
        Planned(
            "the first 01:30 of the change night",
            twice(c, "01:30", second=False),
            60,
            uk(c, 0, "09:00"),
            {
                "7d": at(c, -7, "01:30 BST"),
                "1d": at(c, -1, "01:30 BST"),
                "check-in": at(c, 1, "02:05 GMT"),
                "feedback": at(c, 0, "09:00 GMT"),
                "feedback-reminder": at(c, 7, "10:30 GMT"),
            },
        ),
        # The second 01:30 (GMT): its reminders are at 01:30 BST, 25 hours and 7 days 1 hour before.
        Planned(
            "the second 01:30 of the change night",
            twice(c, "01:30", second=True),
            60,
            uk(c, 0, "09:00"),
            {
                "7d": at(c, -7, "01:30 BST"),
                "1d": at(c, -1, "01:30 BST"),
                "check-in": at(c, 1, "03:05 GMT"),
                "feedback": at(c, 0, "09:00 GMT"),
                "feedback-reminder": at(c, 7, "10:30 GMT"),
            },
        ),
        Planned(
            "the day of the change, 10:00",
            uk(c, 0, "10:00"),
            120,
            uk(c, 0, "12:30"),
            {
                "7d": at(c, -7, "10:00 BST"),
                "1d": at(c, -1, "10:00 BST"),
                "check-in": at(c, 1, "12:05 GMT"),
                "feedback": at(c, 0, "12:30 GMT"),
                "feedback-reminder": at(c, 8, "10:30 GMT"),
            },
        ),
        Planned(
            "the day after, 10:00",
            uk(c, 1, "10:00"),
            120,
            uk(c, 1, "12:30"),
            {
                "7d": at(c, -6, "10:00 BST"),
                "1d": at(c, 0, "10:00 GMT"),
                "check-in": at(c, 2, "12:05 GMT"),
                "feedback": at(c, 1, "12:30 GMT"),
                "feedback-reminder": at(c, 9, "10:30 GMT"),
            },
        ),
        # 01:30 the night after: the day before is the change night, when 01:30 comes twice; the
        # reminder goes the first time, once.
        Planned(
            "the day after, 01:30",
            uk(c, 1, "01:30"),
            120,
            uk(c, 1, "09:00"),
            {
                "7d": at(c, -6, "01:30 BST"),
                "1d": at(c, 0, "01:30 BST"),
                "check-in": at(c, 2, "04:05 GMT"),
                "feedback": at(c, 1, "09:00 GMT"),
                "feedback-reminder": at(c, 8, "10:30 GMT"),
            },
        ),
        Planned(
            "a week after, 10:00",
            uk(c, 7, "10:00"),
            120,
            uk(c, 7, "12:30"),
            {
                "7d": at(c, 0, "10:00 GMT"),
                "1d": at(c, 6, "10:00 GMT"),
                "check-in": at(c, 8, "12:05 GMT"),
                "feedback": at(c, 7, "12:30 GMT"),
                "feedback-reminder": at(c, 15, "10:30 GMT"),
            },
        ),
    ]


CHANGES = [
    pytest.param(datetime.date(2026, 3, 29), spring, id="2026-03-29-forward"),
    pytest.param(datetime.date(2026, 10, 25), autumn, id="2026-10-25-back"),
    pytest.param(datetime.date(2027, 3, 28), spring, id="2027-03-28-forward"),
    pytest.param(datetime.date(2027, 10, 31), autumn, id="2027-10-31-back"),
]


def days_run(change: datetime.date, planned: list[Planned]) -> dict[str, set[datetime.date]]:
    """The UK days each job runs on: every day of its window in a soak; otherwise the change day,
    the days either side, and each day one of its emails is due."""
    days = {}
    for name, (first, last) in WINDOWS.items():
        window = {day(change, offset) for offset in range(first, last)}
        if SOAK:
            days[name] = window
            continue
        due = {datetime.date.fromisoformat(item.expected[event][:10]) for item in planned for event in JOB_EVENTS[name]}
        days[name] = window & (due | {day(change, -1), change, day(change, 1)})
    return days


def due_jobs(days: dict[str, set[datetime.date]], moment: datetime.datetime) -> list[str]:
    """The jobs of ``JOBS`` the beat schedule runs at ``moment`` (on their days), read on the UK
    wall clock as beat does (``CELERY_TIMEZONE``): the minute and hour of each crontab entry."""
    local = moment.astimezone(LONDON)
    due = []
    for name in JOBS:
        if local.date() not in days[name]:
            continue
        schedule = settings.CELERY_BEAT_SCHEDULE[name]["schedule"]
        assert isinstance(schedule, crontab), f"{name} is expected on a crontab"
        if local.minute in schedule.minute and local.hour in schedule.hour:
            due.append(name)
    return due


def steps(start: datetime.datetime, stop: datetime.datetime) -> Iterator[datetime.datetime]:
    moment = start
    while moment < stop:
        yield moment
        moment += STEP


class Asked:
    """Every email the services ask the outbox for (by key), with when it was asked for."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, str]] = []

    def note(self, key: str) -> None:
        self.keys.append((key, shown(timezone.now())))

    def wrap_one(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def queue(**kwargs: Any) -> Any:
            self.note(kwargs["unique_key"])
            return real(**kwargs)

        return queue

    def wrap_many(self, real: Callable[[Iterable[Outgoing]], int]) -> Callable[[Iterable[Outgoing]], int]:
        def queue(emails: Iterable[Outgoing]) -> int:
            emails = list(emails)
            for outgoing in emails:
                self.note(outgoing.unique_key)
            return real(emails)

        return queue


@pytest.mark.parametrize(("change", "plan"), CHANGES)
def test_each_email_once_at_the_right_uk_time_across_the_clock_change(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    change: datetime.date,
    plan: Callable[[datetime.date], list[Planned]],
) -> None:
    planned = plan(change)
    days = days_run(change, planned)
    start = london_datetime(min(min(each) for each in days.values()), datetime.time(0))
    stop = london_datetime(max(max(each) for each in days.values()), datetime.time(0)) + datetime.timedelta(days=1)
    with time_machine.travel(uk(change, -20, "09:00"), tick=False) as clock:
        bookings: dict[str, Booking] = {}
        for index, item in enumerate(planned):
            session = session_at(
                world.university,
                world.coordinator,
                title=item.name,
                starts_at=item.starts,
                ends_at=item.starts + datetime.timedelta(minutes=item.minutes),
                emotionally_demanding=True,
            )
            profile = factories.NetworkMembershipFactory(
                network=world.charity, volunteer__user__email=f"volunteer{index}@example.org"
            ).volunteer
            [invited] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)
            bookings[item.name] = accept_invitation(booking=invited, actor=profile.user)

        asked = Asked()
        monkeypatch.setattr(
            sessions_app.services, "queue_notifications", asked.wrap_many(sessions_app.services.queue_notifications)
        )
        monkeypatch.setattr(
            sessions_app.services, "queue_notification", asked.wrap_one(sessions_app.services.queue_notification)
        )
        monkeypatch.setattr(
            feedback.services, "queue_notification", asked.wrap_one(feedback.services.queue_notification)
        )
        to_mark = sorted(planned, key=lambda item: item.marked)
        runs = dict.fromkeys(JOBS, 0)
        for moment in steps(start, stop):
            due = due_jobs(days, moment)
            marking = bool(to_mark) and to_mark[0].marked <= moment
            if not (due or marking):
                continue
            clock.move_to(moment)
            while to_mark and to_mark[0].marked <= moment:
                item = to_mark.pop(0)
                booking = bookings[item.name]
                session = TeachingSession.objects.get(pk=booking.session_id)
                mark_attendance(session=session, actor=world.coordinator, outcomes={booking.pk: "attended"})
            for name in due:
                JOBS[name]()
                runs[name] += 1

    # The beat cadence on each day run (the change day has 23 hours in spring and 25 in autumn),
    # and every attendance marked.
    def hours(name: str) -> int:
        return sum(
            int(
                (
                    london_datetime(each + datetime.timedelta(days=1), datetime.time(0))
                    - london_datetime(each, datetime.time(0))
                ).total_seconds()
            )
            // 3600
            for each in days[name]
        )

    assert (runs, to_mark) == (
        {
            "sessions_app.send_due_reminders": 4 * hours("sessions_app.send_due_reminders"),
            "sessions_app.send_due_check_ins": hours("sessions_app.send_due_check_ins"),
            "feedback.send_feedback_reminders": len(days["feedback.send_feedback_reminders"]),
        },
        [],
    )
    expected: list[tuple[str, str]] = []
    for item in planned:
        booking = bookings[item.name]
        volunteer_feedback = booking.volunteer_feedback  # asked for when attendance was marked
        coordinator_feedback = booking.session.coordinator_feedback
        keys = {
            "7d": [f"reminder:7d:booking:{booking.pk}"],
            "1d": [f"reminder:1d:booking:{booking.pk}"],
            "check-in": [f"check-in:booking:{booking.pk}"],
            "feedback": [
                f"feedback-request:volunteer:{volunteer_feedback.pk}",
                f"feedback-request:coordinator:{coordinator_feedback.pk}",
            ],
            "feedback-reminder": [
                f"feedback-reminder:volunteer:{volunteer_feedback.pk}",
                f"feedback-reminder:coordinator:{coordinator_feedback.pk}",
            ],
        }
        assert set(item.expected) == set(EVENTS), item.name
        expected += [(key, item.expected[event]) for event in EVENTS for key in keys[event]]
    # Each asked for exactly once (no second try, even one the outbox would refuse), at its time.
    assert sorted(asked.keys) == sorted(expected)
    # And the outbox holds each once, written at that time.
    outbox = Notification.objects.filter(unique_key__in=[key for key, _ in expected])
    assert sorted((row.unique_key, shown(row.created_at)) for row in outbox) == sorted(expected)
