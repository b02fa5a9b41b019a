"""Every report page, chart, export and PDF reads the same number of queries for 1 session as
for 50: the figures are aggregated by the database."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from feedback.models import CoordinatorFeedback, ImpactEntry, StudentResponse, VolunteerFeedback, WellbeingFollowUp
from sessions_app.models import CheckIn
from tests import factories
from tests.conftest import World, signed_in
from tests.reports.factories import consent, held, paid_claim, place, uk
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory
from volunteers.models import ExperienceTag
from volunteers.services import ensure_consent_purposes

YEAR = {"start": "2025-09-01", "end": "2026-08-31"}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(uk(2026, 9, 15, 12), tick=False):
        yield


def build(world: World, sessions: int) -> dict[str, Any]:
    """``sessions`` held sessions over the year, each attended by its own consenting volunteer of
    Charity A with a tag, with a paid claim, every kind of feedback, a check-in, a follow-up and an
    impact entry."""
    ensure_consent_purposes()
    programme = ProgrammeFactory(university=world.university, academic_year="2025/26")
    module = ModuleFactory(programme=programme)
    tag = ExperienceTag.objects.create(network=world.charity, name="Breast cancer")
    for index in range(sessions):
        starts_at = uk(2025, 9, 2, 10) + datetime.timedelta(days=index * 7)
        session = held(module, world.coordinator, starts_at)
        profile = factories.VolunteerProfileFactory(naming_preference="full_name")
        factories.NetworkMembershipFactory(volunteer=profile, network=world.charity)
        profile.experience_tags.set([tag])
        consent(profile, world.charity)
        booking = place(session, profile)
        paid_claim(booking, submitted_at=starts_at, paid_at=starts_at + datetime.timedelta(days=5), fee="25.00")
        StudentResponse.objects.create(
            session=session,
            learned=f"Comment {index}",
            change_practice="yes",
            rating=4,
            browser=str(index),
            chosen=True,
        )
        CoordinatorFeedback.objects.create(session=session, rating=5, answered_at=starts_at)
        VolunteerFeedback.objects.create(booking=booking, how_it_went="well", answered_at=starts_at)
        CheckIn.objects.create(booking=booking, answer="fine", answered_at=starts_at)
        WellbeingFollowUp.objects.create(volunteer=profile, network=world.charity, booking=booking, source="check_in")
        entry = ImpactEntry.objects.create(
            university=world.university, title=f"Change {index}", what_changed="Better.", changed_on=starts_at.date()
        )
        entry.modules.set([module])
        entry.sessions.set([session])
    return {"programme": programme}


def pages(world: World, built: dict[str, Any]) -> dict[str, tuple[Any, str, dict[str, str]]]:
    university, network = {"slug": "university-a"}, {"slug": "charity-a"}
    evidence = {"pk": built["programme"].pk, "year": 2025}
    return {
        "university report": (world.coordinator, reverse("reports:report", kwargs=university), YEAR),
        "network report": (world.lead, reverse("reports:report", kwargs=network), YEAR),
        "chart": (world.coordinator, reverse("reports:chart", kwargs={**university, "metric": "hours"}), YEAR),
        "network chart": (world.lead, reverse("reports:chart", kwargs={**network, "metric": "sessions"}), YEAR),
        "csv": (world.coordinator, reverse("reports:export_csv", kwargs=university), YEAR),
        "network csv": (world.lead, reverse("reports:export_csv", kwargs=network), YEAR),
        "xlsx": (world.coordinator, reverse("reports:export_xlsx", kwargs=university), YEAR),
        "network xlsx": (world.lead, reverse("reports:export_xlsx", kwargs=network), YEAR),
        "annual": (world.coordinator, reverse("reports:annual", kwargs={**university, "year": 2025}), {}),
        "network annual": (world.lead, reverse("reports:annual", kwargs={**network, "year": 2025}), {}),
        "evidence": (world.coordinator, reverse("reports:evidence", kwargs=evidence), {}),
        "evidence pdf": (world.coordinator, reverse("reports:evidence_pdf", kwargs=evidence), {}),
        "index": (world.coordinator, reverse("reports:index"), {}),
    }


# Sign-in, session and roles take a few of each; the rest are the figures (reports.selectors:
# three tallies and a few aggregates). Every page stays within the 20 queries docs/PERFORMANCE.md
# allows a page.
QUERIES = {
    "university report": 16,
    "network report": 17,
    "chart": 7,
    "network chart": 7,
    "csv": 13,
    "network csv": 13,
    "xlsx": 13,
    "network xlsx": 13,
    "annual": 18,
    "network annual": 19,
    "evidence": 18,
    "evidence pdf": 17,
    "index": 7,
}


@pytest.mark.parametrize("sessions", [1, 50])
@pytest.mark.parametrize("page", list(QUERIES))
def test_queries_do_not_grow_with_sessions(world: World, django_assert_num_queries, sessions: int, page: str):
    user, url, query = pages(world, build(world, sessions))[page]
    client = signed_in(user)

    with django_assert_num_queries(QUERIES[page]):
        response = client.get(url, query)

    assert response.status_code == 200


@pytest.mark.parametrize("sessions", [1, 50])
def test_certificate_queries_do_not_grow_with_sessions(world: World, django_assert_num_queries, sessions: int):
    build(world, sessions)
    profile = factories.VolunteerProfileFactory()
    module = ModuleFactory(programme=ProgrammeFactory(university=world.university))
    for index in range(sessions):
        place(held(module, world.coordinator, uk(2025, 9, 2) + datetime.timedelta(days=index)), profile)
    client = signed_in(profile.user)

    with django_assert_num_queries(6):
        response = client.get(reverse("reports:certificate"))

    assert response.status_code == 200
