"""The impact log ("you said, we did"): coordinators record, change and list their university's
entries, linked to its own modules and sessions only.

The clock stands at Thursday 5 March 2026, 09:00 UK time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from feedback.models import ImpactEntry
from feedback.services import FeedbackError, save_impact_entry
from involvement.models import ActivityLog
from sessions_app.clock import LONDON
from tests.accounts.test_views import find, h1, texts
from tests.conftest import World, signed_in
from tests.feedback.factories import ImpactEntryFactory, attended
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory, session_at

NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def entry_data(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Breaking bad news starts with the patient's story",
        "area": "teaching",
        "what_changed": "Volunteers said students rushed; the session now starts with listening.",
        "changed_on": "2026-02-20",
        **changes,
    }


def test_a_coordinator_records_a_change_linked_to_a_session_and_its_module(world: World) -> None:
    session = attended(world).session

    response = signed_in(world.coordinator).post(
        "/impact/new/", entry_data(modules=[session.module_id], sessions=[session.pk], university=world.university.pk)
    )

    [entry] = ImpactEntry.objects.all()
    assert (response.status_code, response["Location"]) == (302, "/impact/")
    assert (entry.university, entry.title, entry.area, entry.changed_on, entry.recorded_by) == (
        world.university,
        "Breaking bad news starts with the patient's story",
        "teaching",
        datetime.date(2026, 2, 20),
        world.coordinator,
    )
    assert (list(entry.modules.all()), list(entry.sessions.all())) == ([session.module], [session])
    assert list(ActivityLog.objects.values_list("action", "actor")) == [("impact.created", world.coordinator.pk)]


def test_the_form_starts_from_a_session(world: World) -> None:
    session = attended(world).session

    response = signed_in(world.coordinator).get(f"/impact/new/?session={session.pk}")

    assert response.context["form"].initial == {
        "sessions": [session],
        "modules": [session.module],
        "university": world.university,
    }


def test_another_universitys_modules_and_sessions_are_not_offered_or_taken(world: World) -> None:
    theirs = session_at(world.other_university, world.other_coordinator)
    client = signed_in(world.coordinator)

    offered = client.get("/impact/new/").context["form"]
    response = client.post("/impact/new/", entry_data(modules=[theirs.module_id], sessions=[theirs.pk]))

    assert list(offered.fields["modules"].queryset) == []
    assert response.status_code == 400
    [summary] = find(response, "div", id="error-summary")
    assert texts(summary, "li") == [
        "Modules it changed (optional): Please choose modules of your university only.",
        "Sessions that led to it (optional): Please choose sessions of your university only.",
    ]
    assert ImpactEntry.objects.count() == 0


def test_the_service_refuses_another_universitys_session(world: World) -> None:
    theirs = session_at(world.other_university, world.other_coordinator)

    with pytest.raises(FeedbackError, match=r"^Please choose sessions of University A only\.$"):
        save_impact_entry(
            actor=world.coordinator,
            university=world.university,
            modules=[],
            sessions=[theirs],
            title="x",
            what_changed="y",
            area="module",
            changed_on=datetime.date(2026, 1, 1),
        )


def test_a_coordinator_cannot_record_for_another_university(world: World) -> None:
    with pytest.raises(FeedbackError, match=r"^Only a coordinator of the university can record what it changed\.$"):
        save_impact_entry(
            actor=world.coordinator,
            university=world.other_university,
            modules=[],
            sessions=[],
            title="x",
            what_changed="y",
            area="module",
            changed_on=datetime.date(2026, 1, 1),
        )


def test_missing_and_future_answers_are_explained(world: World) -> None:
    response = signed_in(world.coordinator).post("/impact/new/", {"changed_on": "2026-03-06", "title": "x" * 201})

    [summary] = find(response, "div", id="error-summary")
    assert texts(summary, "li") == [
        "Title: Please shorten the title to 200 characters or fewer.",
        "What changed: Please choose what changed.",
        "What changed, and why: Please say what changed.",
        "When it changed: Please give the day it changed: today or earlier.",
    ]


def test_a_coordinator_changes_an_entry(world: World) -> None:
    entry = ImpactEntryFactory(university=world.university, recorded_by=world.coordinator)

    response = signed_in(world.coordinator).post(f"/impact/{entry.pk}/edit/", entry_data(title="Now with a new name"))

    entry.refresh_from_db()
    assert (response.status_code, entry.title, entry.university) == (302, "Now with a new name", world.university)
    assert list(ActivityLog.objects.values_list("action", flat=True)) == ["impact.changed"]


def test_another_universitys_entry_is_not_found(world: World) -> None:
    entry = ImpactEntryFactory(university=world.university)

    response = signed_in(world.other_coordinator).post(f"/impact/{entry.pk}/edit/", entry_data(title="Taken"))

    entry.refresh_from_db()
    assert (response.status_code, entry.title == "Taken") == (404, False)


def test_the_list_shows_the_universitys_entries_latest_first_escaped(world: World) -> None:
    module = ModuleFactory(programme=ProgrammeFactory(university=world.university), code="RAD101", title="Care")
    older = ImpactEntryFactory(university=world.university, title="Older", changed_on=datetime.date(2025, 9, 1))
    newer = ImpactEntryFactory(
        university=world.university, title=f"Newer {SCRIPT}", changed_on=datetime.date(2026, 2, 1)
    )
    newer.modules.set([module])
    ImpactEntryFactory(university=world.other_university, title="Theirs")

    response = signed_in(world.coordinator).get("/impact/")

    page = response.content.decode()
    assert h1(response) == "Impact log"
    assert texts(response, "h2") == [f"Newer {SCRIPT}", "Older"]
    assert "Modules: RAD101 Care" in texts(response, "p")
    assert "&lt;script&gt;" in page
    assert SCRIPT not in page
    assert older.pk != newer.pk


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_query_count_does_not_grow(world: World, count: int, django_assert_num_queries: Any) -> None:
    session = attended(world).session
    for _ in range(count):
        entry = ImpactEntryFactory(university=world.university, recorded_by=world.coordinator)
        entry.modules.set([session.module])
        entry.sessions.set([session])
    client = signed_in(world.coordinator)

    with django_assert_num_queries(9):
        response = client.get("/impact/")

    assert len(find(response, "article", class_="impact-entry")) == count
