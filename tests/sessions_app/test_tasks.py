"""The periodic jobs of sessions: each Celery task runs its service, and beat schedules all three."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from involvement.celery import app
from involvement.models import Notification
from sessions_app.models import Booking, CheckIn
from sessions_app.services import accept_invitation
from sessions_app.tasks import task_expire_invitations, task_send_due_check_ins, task_send_due_reminders
from tests.conftest import World
from tests.sessions_app.factories import invite_free, session_at
from volunteers.models import VolunteerProfile

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# Tuesday 10 February 2026, 10:00 to 12:00 (winter: UK time is UTC).
START = datetime.datetime(2026, 2, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START - 20 * DAY, tick=False) as traveller:
        yield traveller


def invited(world: World, **fields: Any) -> Booking:
    session = session_at(world.university, world.coordinator, starts_at=START, ends_at=START + 2 * HOUR, **fields)
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    [booking] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)
    return booking


def test_task_send_due_reminders_runs_the_service(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    booking = accept_invitation(booking=invited(world), actor=world.volunteer)
    mail.outbox.clear()
    clock.move_to(START - 7 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        task_send_due_reminders.delay()
        task_send_due_reminders.delay()

    assert list(
        Notification.objects.filter(template_key="sessions_app/reminder").values_list("unique_key", flat=True)
    ) == [f"reminder:7d:booking:{booking.pk}"]
    assert [message.to for message in mail.outbox] == [[world.volunteer.email]]


def test_task_send_due_check_ins_runs_the_service(
    world: World, clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    booking = accept_invitation(booking=invited(world, emotionally_demanding=True), actor=world.volunteer)
    mail.outbox.clear()
    clock.move_to(START + 2 * HOUR + DAY)

    with django_capture_on_commit_callbacks(execute=True):
        task_send_due_check_ins.delay()
        task_send_due_check_ins.delay()

    assert list(CheckIn.objects.values_list("booking", flat=True)) == [booking.pk]
    assert [message.to for message in mail.outbox] == [[world.volunteer.email]]


def test_task_expire_invitations_runs_the_service(world: World, clock: time_machine.Traveller) -> None:
    booking = invited(world)

    clock.move_to(booking.invitation_expires_at - datetime.timedelta(minutes=1))
    task_expire_invitations.delay()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.INVITED

    clock.move_to(booking.invitation_expires_at)
    task_expire_invitations.delay()
    task_expire_invitations.delay()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED


@pytest.mark.parametrize(
    ("task", "schedule"),
    [
        (task_send_due_reminders, crontab(minute="*/15")),
        (task_send_due_check_ins, crontab(minute=5)),
        (task_expire_invitations, crontab(minute="*/15")),
    ],
)
def test_periodic_jobs_are_scheduled(task: Any, schedule: crontab) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE[task.name]

    assert (entry["task"], entry["schedule"]) == (task.name, schedule)
    assert app.tasks[task.name].name == task.name


def test_reminders_run_often_enough_to_be_on_time() -> None:
    """Sessions start on the quarter hour, so a quarter-hourly job sends each reminder at its minute."""
    schedule = settings.CELERY_BEAT_SCHEDULE["sessions_app.send_due_reminders"]["schedule"]

    assert sorted(schedule.minute) == [0, 15, 30, 45]
    assert sorted(schedule.hour) == list(range(24))


def test_task_names_are_stable() -> None:
    assert (task_send_due_reminders.name, task_send_due_check_ins.name, task_expire_invitations.name) == (
        "sessions_app.send_due_reminders",
        "sessions_app.send_due_check_ins",
        "sessions_app.expire_invitations",
    )
