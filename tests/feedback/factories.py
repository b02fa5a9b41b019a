"""Factories and helpers for feedback tests, with valid boring defaults."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from accounts.models import Organisation, User
from feedback.models import (
    CoordinatorFeedback,
    FollowUpNote,
    ImpactEntry,
    StudentFeedbackLink,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
)
from sessions_app.models import Booking, TeachingSession
from tests.expenses.factories import attended_booking
from volunteers.models import VolunteerProfile


class VolunteerFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerFeedback

    booking = factory.SubFactory("tests.sessions_app.factories.BookingFactory", status=Booking.Status.ATTENDED)


def answered(feedback: VolunteerFeedback, **fields: Any) -> VolunteerFeedback:
    """``feedback`` answered: it went well, prepared and supported, nothing to change."""
    values = {
        "how_it_went": VolunteerFeedback.HowItWent.WELL,
        "felt_prepared": "yes",
        "felt_supported": "yes",
        "answered_at": timezone.now(),
        **fields,
    }
    for name, value in values.items():
        setattr(feedback, name, value)
    feedback.save()
    return feedback


class StudentFeedbackLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentFeedbackLink

    token = factory.Sequence(lambda n: f"student-link-{n:04d}")
    closes_at = factory.LazyAttribute(lambda link: link.session.ends_at + datetime.timedelta(days=7))


class StudentResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentResponse

    learned = factory.Sequence(lambda n: f"What it is like to wait for results ({n}).")
    change_practice = StudentResponse.ChangePractice.YES
    rating = 4
    browser = factory.Sequence(lambda n: f"{n:064d}")


class WellbeingFollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WellbeingFollowUp

    source = WellbeingFollowUp.Source.FEEDBACK
    found_it_hard = True


class FollowUpNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpNote

    text = "Called her; she is fine and would like to come again."


class ImpactEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImpactEntry

    title = factory.Sequence(lambda n: f"A change {n}")
    what_changed = "Students now hear the patient's story before the theory."
    area = ImpactEntry.Area.TEACHING
    changed_on = datetime.date(2026, 1, 15)


def attended(world: Any, profile: VolunteerProfile | None = None, days_ago: int = 3) -> Booking:
    """An attended two-hour session of University A, ``days_ago`` days ago, owned by its coordinator."""
    profile = profile or VolunteerProfile.objects.get(user=world.volunteer)
    return attended_booking(world.university, world.coordinator, profile, days_ago=days_ago)


def coordinator_feedback(session: TeachingSession, **fields: Any) -> CoordinatorFeedback:
    return CoordinatorFeedback.objects.create(session=session, **fields)


def follow_up_for(booking: Booking, network: Organisation, **fields: Any) -> WellbeingFollowUp:
    return WellbeingFollowUpFactory(booking=booking, volunteer=booking.volunteer, network=network, **fields)


def note_on(follow_up: WellbeingFollowUp, author: User, text: str = "Called her; she is fine.") -> FollowUpNote:
    return FollowUpNoteFactory(follow_up=follow_up, author=author, text=text)
