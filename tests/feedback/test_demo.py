"""The demo feedback (``manage.py seed_demo``, feedback/demo.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import User
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
from tests.accounts.test_views import find
from tests.conftest import signed_in


@pytest.fixture
def seeded(db: None, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", verbosity=0)


def completed_with_someone_attended() -> list[TeachingSession]:
    return list(
        TeachingSession.objects.filter(
            module__programme__university__slug="northbridge",
            status="completed",
            bookings__status=Booking.Status.ATTENDED,
        ).distinct()
    )


def test_every_attended_booking_of_a_past_northbridge_session_has_feedback_all_but_one_answered(seeded) -> None:
    attended = Booking.objects.filter(session__in=completed_with_someone_attended(), status=Booking.Status.ATTENDED)

    assert VolunteerFeedback.objects.count() == attended.count()
    assert set(VolunteerFeedback.objects.values_list("booking", flat=True)) == set(
        attended.values_list("pk", flat=True)
    )
    assert VolunteerFeedback.objects.filter(answered_at__isnull=True).count() == 1


def test_every_such_session_has_the_coordinators_words_and_three_to_five_students(seeded) -> None:
    sessions = completed_with_someone_attended()

    assert CoordinatorFeedback.objects.filter(answered_at__isnull=False).count() == len(sessions) > 10
    per_session = dict(StudentResponse.objects.values_list("session").annotate(count=Count("pk")))
    assert set(per_session) == {session.pk for session in sessions}
    assert set(per_session.values()) == {3, 4, 5}
    assert StudentResponse.objects.filter(chosen=True).count() >= len(sessions)
    assert StudentFeedbackLink.objects.count() == len(sessions) + 1


def test_the_lead_has_two_open_follow_ups_one_with_notes(seeded) -> None:
    follow_ups = WellbeingFollowUp.objects.filter(network__slug="breast-cancer-voices")

    assert sorted(follow_ups.values_list("status", "source")) == [
        ("closed", "feedback"),
        ("open", "check_in"),
        ("open", "feedback"),
    ]
    assert [follow_up.notes.count() for follow_up in follow_ups.filter(status="open").order_by("source")] == [2, 0]
    assert FollowUpNote.objects.count() == 3


def test_three_impact_entries_are_linked_to_northbridges_modules_and_sessions(seeded) -> None:
    entries = ImpactEntry.objects.all()

    assert entries.count() == 3
    for entry in entries:
        assert entry.university.slug == "northbridge"
        assert entry.modules.count() >= 1
        assert entry.sessions.count() >= 1
        assert {session.module_id for session in entry.sessions.all()} <= set(
            entry.modules.values_list("pk", flat=True)
        )


def test_the_demo_pages_open(seeded) -> None:
    lead = User.objects.get(email="lead@example.org")
    volunteer = User.objects.get(email="volunteer@example.org")
    coordinator = User.objects.get(email="coordinator@example.org")
    session = completed_with_someone_attended()[0]

    network = signed_in(lead).get("/networks/breast-cancer-voices/volunteers/")
    difference = signed_in(volunteer).get("/me/difference/")
    page = signed_in(coordinator).get(f"/sessions/{session.pk}/feedback/")

    assert (network.status_code, difference.status_code, page.status_code) == (200, 200, 200)
    [panel] = find(network, "section", id="open-follow-ups")
    assert len(find(panel, "li")) == 2
    assert find(difference, "article", class_="contribution") != []


def test_seeding_twice_adds_nothing(seeded) -> None:
    before = (VolunteerFeedback.objects.count(), StudentResponse.objects.count(), ImpactEntry.objects.count())

    call_command("seed_demo", verbosity=0)

    assert (VolunteerFeedback.objects.count(), StudentResponse.objects.count(), ImpactEntry.objects.count()) == before
