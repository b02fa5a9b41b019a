"""Feedback asked for when attendance is marked, withdrawn when it is corrected, and reminded once.

The clock stands at Monday 16 March 2026, 14:00 UK time; the session was that morning, 10:00–12:00,
at University A, owned by its coordinator.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from feedback.models import CoordinatorFeedback, VolunteerFeedback
from feedback.services import (
    FeedbackError,
    send_feedback_reminders,
    volunteer_feedback_from_token,
    volunteer_feedback_token,
)
from feedback.tasks import task_send_feedback_reminders
from involvement.models import Notification
from sessions_app.clock import LONDON
from sessions_app.models import Booking
from sessions_app.services import correct_attendance, mark_attendance
from tests import factories
from tests.conftest import World
from tests.feedback.factories import answered
from tests.sessions_app.factories import BookingFactory, session_at
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 3, 16, 14, 0, tzinfo=LONDON)
START = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=LONDON)
DAY = datetime.timedelta(days=1)
BookingStatus = Booking.Status


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def volunteer(world: World, name: str) -> VolunteerProfile:
    email = f"{name.lower().replace(' ', '.')}@example.org"
    return factories.NetworkMembershipFactory(
        network=world.charity, volunteer__user__name=name, volunteer__user__email=email
    ).volunteer


@pytest.fixture
def bookings(world: World) -> dict[str, Booking]:
    """Ann and Bob accepted this morning's session."""
    session = session_at(
        world.university, world.coordinator, starts_at=START, ends_at=START + 2 * datetime.timedelta(hours=1)
    )
    return {
        name.split()[0].lower(): BookingFactory(
            session=session, volunteer=volunteer(world, name), status=BookingStatus.ACCEPTED
        )
        for name in ("Ann Ames", "Bob Baker")
    }


def queued() -> list[tuple[str, str, str]]:
    return [(row.template_key, row.email, row.unique_key) for row in Notification.objects.order_by("pk")]


def mark(world: World, bookings: dict[str, Booking], **outcomes: str) -> None:
    mark_attendance(
        session=bookings["ann"].session,
        actor=world.coordinator,
        outcomes={bookings[name].pk: status for name, status in outcomes.items()},
    )


def test_marking_attendance_asks_each_volunteer_who_came_and_the_owner_once(
    world: World, bookings: dict[str, Booking]
) -> None:
    mark(world, bookings, ann="attended", bob="no_show")

    [feedback] = VolunteerFeedback.objects.all()
    [coordinator] = CoordinatorFeedback.objects.all()
    assert (feedback.booking, feedback.requested_at, feedback.answered_at) == (bookings["ann"], NOW, None)
    assert (coordinator.session, coordinator.requested_at) == (bookings["ann"].session, NOW)
    assert queued() == [
        ("feedback/volunteer_request", "ann.ames@example.org", f"feedback-request:volunteer:{feedback.pk}"),
        ("feedback/coordinator_request", "coordinator@a.example.org", f"feedback-request:coordinator:{coordinator.pk}"),
    ]


def test_nobody_attended_asks_nobody(world: World, bookings: dict[str, Booking]) -> None:
    mark(world, bookings, ann="no_show", bob="no_show")

    assert (VolunteerFeedback.objects.count(), CoordinatorFeedback.objects.count(), queued()) == (0, 0, [])


def test_the_request_email_carries_a_link_that_opens_the_form(
    world: World, bookings: dict[str, Booking], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        mark(world, bookings, ann="attended", bob="attended")

    to_ann = next(message for message in mail.outbox if message.to == ["ann.ames@example.org"])
    assert to_ann.subject == f"How did {bookings['ann'].session.title} go?"
    [link] = [line for line in to_ann.body.splitlines() if line.startswith(settings.SITE_URL + "/feedback/")]
    token = link.removeprefix(settings.SITE_URL + "/feedback/").rstrip("/")
    assert volunteer_feedback_from_token(token).booking == bookings["ann"]
    assert "The link works until Wednesday 15 April 2026." in to_ann.body
    [to_owner] = [message for message in mail.outbox if message.to == ["coordinator@a.example.org"]]
    assert to_owner.subject == f"Your feedback on {bookings['ann'].session.title}, please"
    assert f"{settings.SITE_URL}/sessions/{bookings['ann'].session_id}/feedback/coordinator/" in to_owner.body


def test_marking_again_through_a_correction_does_not_ask_twice(world: World, bookings: dict[str, Booking]) -> None:
    mark(world, bookings, ann="attended", bob="no_show")

    correct_attendance(booking=bookings["bob"], actor=world.coordinator, status=BookingStatus.ATTENDED)

    assert sorted(VolunteerFeedback.objects.values_list("booking__volunteer__user__name", flat=True)) == [
        "Ann Ames",
        "Bob Baker",
    ]
    assert [key for key, _email, _unique in queued()] == [
        "feedback/volunteer_request",
        "feedback/coordinator_request",
        "feedback/volunteer_request",
    ]


def test_a_correction_to_did_not_attend_withdraws_the_unanswered_request(
    world: World, bookings: dict[str, Booking]
) -> None:
    mark(world, bookings, ann="attended", bob="attended")
    token = volunteer_feedback_token(VolunteerFeedback.objects.get(booking=bookings["bob"]))

    correct_attendance(booking=bookings["bob"], actor=world.coordinator, status=BookingStatus.NO_SHOW)

    assert list(VolunteerFeedback.objects.values_list("booking", flat=True)) == [bookings["ann"].pk]
    assert CoordinatorFeedback.objects.count() == 1
    with pytest.raises(FeedbackError, match="We no longer need feedback through this link"):
        volunteer_feedback_from_token(token)


def test_correcting_everyone_to_did_not_attend_withdraws_the_coordinators_request(
    world: World, bookings: dict[str, Booking]
) -> None:
    mark(world, bookings, ann="attended", bob="no_show")

    correct_attendance(booking=bookings["ann"], actor=world.coordinator, status=BookingStatus.NO_SHOW)

    assert (VolunteerFeedback.objects.count(), CoordinatorFeedback.objects.count()) == (0, 0)


def test_a_correction_keeps_an_answer_already_given(world: World, bookings: dict[str, Booking]) -> None:
    mark(world, bookings, ann="attended", bob="no_show")
    answered(VolunteerFeedback.objects.get(), to_change="More time for questions.")

    correct_attendance(booking=bookings["ann"], actor=world.coordinator, status=BookingStatus.NO_SHOW)

    assert list(VolunteerFeedback.objects.values_list("to_change", flat=True)) == ["More time for questions."]


# Reminders ----------------------------------------------------------------------------------------


def test_reminders_go_once_after_seven_days_to_who_has_not_answered(
    world: World, bookings: dict[str, Booking], clock: time_machine.Traveller
) -> None:
    mark(world, bookings, ann="attended", bob="attended")
    answered(VolunteerFeedback.objects.get(booking=bookings["ann"]))
    clock.move_to(NOW + 7 * DAY - datetime.timedelta(minutes=1))
    assert send_feedback_reminders() == 0

    clock.move_to(NOW + 7 * DAY)
    first = send_feedback_reminders()
    again = send_feedback_reminders()

    bob = VolunteerFeedback.objects.get(booking=bookings["bob"])
    coordinator = CoordinatorFeedback.objects.get()
    assert (first, again) == (2, 0)
    assert (bob.reminded_at, coordinator.reminded_at) == (NOW + 7 * DAY, NOW + 7 * DAY)
    assert [row for row in queued() if "reminder" in row[2]] == [
        ("feedback/volunteer_request", "bob.baker@example.org", f"feedback-reminder:volunteer:{bob.pk}"),
        (
            "feedback/coordinator_request",
            "coordinator@a.example.org",
            f"feedback-reminder:coordinator:{coordinator.pk}",
        ),
    ]


def test_reminders_work_through_batches(world: World, clock: time_machine.Traveller) -> None:
    session = session_at(
        world.university, world.coordinator, starts_at=START, ends_at=START + datetime.timedelta(hours=2)
    )
    for number in range(5):
        VolunteerFeedback.objects.create(
            booking=BookingFactory(session=session, volunteer=volunteer(world, f"Person {number}"), status="attended")
        )
    clock.move_to(NOW + 8 * DAY)

    assert send_feedback_reminders(batch_size=2) == 5
    assert VolunteerFeedback.objects.filter(reminded_at__isnull=True).count() == 0


def test_no_reminder_once_the_first_link_has_expired(world: World, bookings: dict[str, Booking], clock) -> None:
    mark(world, bookings, ann="attended", bob="no_show")
    clock.move_to(NOW + 31 * DAY)

    assert send_feedback_reminders() == 0


def test_the_reminder_email_says_it_is_a_reminder(
    world: World, bookings: dict[str, Booking], clock, django_capture_on_commit_callbacks: Any
) -> None:
    mark(world, bookings, ann="attended", bob="no_show")
    answered(VolunteerFeedback.objects.get())
    clock.move_to(NOW + 7 * DAY)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        task_send_feedback_reminders.delay()

    assert [message.subject for message in mail.outbox] == [
        f"A reminder: your feedback on {bookings['ann'].session.title}"
    ]


def test_the_reminder_job_is_in_the_beat_schedule() -> None:
    assert (
        settings.CELERY_BEAT_SCHEDULE["feedback.send_feedback_reminders"]["task"] == "feedback.send_feedback_reminders"
    )
