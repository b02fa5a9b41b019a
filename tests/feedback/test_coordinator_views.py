"""A coordinator's feedback pages for a session: what everyone said, their own answer, and
choosing which students' comments the volunteers see.

The clock stands at Thursday 5 March 2026, 09:00 UK time; the session was three days before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from feedback.models import CoordinatorFeedback, StudentResponse, VolunteerFeedback
from involvement.models import ActivityLog
from sessions_app.clock import LONDON
from tests import factories
from tests.accounts.test_views import find, h1, table_rows, texts
from tests.conftest import World, signed_in
from tests.feedback.factories import (
    StudentFeedbackLinkFactory,
    StudentResponseFactory,
    answered,
    attended,
    coordinator_feedback,
)
from tests.sessions_app.factories import BookingFactory

NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def table_rows_of(table: Any) -> list[list[str]]:
    [body] = find(table, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


def page_url(session_id: int) -> str:
    return f"/sessions/{session_id}/feedback/"


def test_the_session_page_links_to_its_feedback(world: World) -> None:
    booking = attended(world)

    response = signed_in(world.coordinator).get(f"/sessions/{booking.session_id}/")

    [paragraph] = find(response, "p", id="feedback-link")
    [link] = find(paragraph, "a")
    assert dict(link.attributes)["href"] == page_url(booking.session_id)


def test_the_feedback_page_shows_what_the_volunteers_said_but_not_whether_they_asked_for_contact(
    world: World,
) -> None:
    booking = attended(world)
    answered(
        VolunteerFeedback.objects.create(booking=booking),
        how_it_went="hard",
        felt_supported="partly",
        to_change=f"Shorter {SCRIPT}",
        wants_contact=True,
    )
    quiet = factories.NetworkMembershipFactory(network=world.charity, volunteer__user__name="Quiet One").volunteer
    VolunteerFeedback.objects.create(
        booking=BookingFactory(session=booking.session, volunteer=quiet, status="attended")
    )
    coordinator_feedback(booking.session)

    response = signed_in(world.coordinator).get(page_url(booking.session_id))

    page = response.content.decode()
    [answers] = find(response, "table", id="volunteer-answers")
    assert response.status_code == 200
    assert h1(response) == f"Feedback on “{booking.session.title}”"
    assert table_rows_of(answers) == [
        [world.volunteer.name, "I found it hard", "Yes", "Partly", f"Shorter {SCRIPT}"],
        ["Quiet One", "Not answered yet"],
    ]
    assert "&lt;script&gt;" in page
    assert SCRIPT not in page
    assert "contact" not in " ".join(texts(answers, "td")).lower()
    assert [dict(link.attributes)["href"] for link in find(response, "a", class_="btn-primary")] == [
        f"/sessions/{booking.session_id}/feedback/coordinator/"
    ]


def test_the_coordinator_answers_and_can_change_it(world: World) -> None:
    booking = attended(world)
    coordinator_feedback(booking.session)
    browser = signed_in(world.coordinator)
    url = f"/sessions/{booking.session_id}/feedback/coordinator/"

    first = browser.post(url, {"rating": "4", "contribution": "Powerful.", "students_took": "Listen first."})
    browser.post(url, {"rating": "5", "contribution": "Powerful and kind.", "students_took": ""})

    answer = CoordinatorFeedback.objects.get()
    assert (first.status_code, first["Location"]) == (302, page_url(booking.session_id))
    assert (answer.rating, answer.contribution, answer.students_took, answer.answered_at, answer.answered_by) == (
        5,
        "Powerful and kind.",
        "",
        NOW,
        world.coordinator,
    )
    assert list(ActivityLog.objects.values_list("action", flat=True)) == ["feedback.coordinator_answered"] * 2
    assert browser.get(url).context["form"].initial == {
        "rating": 5,
        "contribution": "Powerful and kind.",
        "students_took": "",
    }


def test_the_coordinators_form_explains_what_is_missing(world: World) -> None:
    booking = attended(world)
    coordinator_feedback(booking.session)

    response = signed_in(world.coordinator).post(f"/sessions/{booking.session_id}/feedback/coordinator/", {})

    [summary] = find(response, "div", id="error-summary")
    assert response.status_code == 400
    assert texts(summary, "li") == [
        "How did the volunteers’ contribution go?: Please choose a rating from 1 to 5.",
        "In your words, how did it go?: Please say, in a sentence or two, how the contribution went.",
    ]
    assert CoordinatorFeedback.objects.get().answered_at is None


def test_no_coordinator_feedback_before_attendance_is_marked(world: World) -> None:
    booking = attended(world)
    url = f"/sessions/{booking.session_id}/feedback/coordinator/"

    response = signed_in(world.coordinator).post(url, {"rating": "4", "contribution": "Fine."})

    assert (response.status_code, response["Location"]) == (302, page_url(booking.session_id))
    assert CoordinatorFeedback.objects.count() == 0


def test_another_universitys_coordinator_cannot_answer(world: World) -> None:
    booking = attended(world)
    coordinator_feedback(booking.session)

    response = signed_in(world.other_coordinator).post(
        f"/sessions/{booking.session_id}/feedback/coordinator/", {"rating": "1", "contribution": "Bad."}
    )

    assert response.status_code == 404
    assert CoordinatorFeedback.objects.get().answered_at is None


def test_choosing_a_comment_to_share_and_stopping(world: World) -> None:
    booking = attended(world)
    response_row = StudentResponseFactory(session=booking.session)
    browser = signed_in(world.coordinator)

    shared = browser.post(f"/student-answers/{response_row.pk}/share/", {"chosen": "1", "page": "1"})
    shared_flag = StudentResponse.objects.get().chosen
    browser.post(f"/student-answers/{response_row.pk}/share/", {"chosen": "0"})

    assert (shared.status_code, shared["Location"]) == (302, f"{page_url(booking.session_id)}?page=1#responses")
    assert (shared_flag, StudentResponse.objects.get().chosen) == (True, False)
    assert list(ActivityLog.objects.order_by("pk").values_list("action", flat=True)) == [
        "feedback.comment_shared",
        "feedback.comment_unshared",
    ]


def test_another_universitys_coordinator_cannot_share_a_comment(world: World) -> None:
    response_row = StudentResponseFactory(session=attended(world).session)

    response = signed_in(world.other_coordinator).post(f"/student-answers/{response_row.pk}/share/", {"chosen": "1"})

    assert (response.status_code, StudentResponse.objects.get().chosen) == (404, False)


def test_the_students_answers_are_summed_up(world: World) -> None:
    booking = attended(world)
    StudentFeedbackLinkFactory(session=booking.session)
    for rating, change in [(5, "yes"), (4, "maybe"), (4, "yes")]:
        StudentResponseFactory(session=booking.session, rating=rating, change_practice=change)

    response = signed_in(world.coordinator).get(page_url(booking.session_id))

    assert texts(response, "p", id="student-summary") == [
        "3 students answered; the average rating is 4.3 out of 5. Will it change their practice? "
        "Yes: 2; Maybe: 1; No: 0."
    ]
    assert [row[2] for row in table_rows(response)[-3:]] == ["4 out of 5", "4 out of 5", "5 out of 5"]


@pytest.mark.parametrize("answers", [1, 3])
def test_the_feedback_page_query_count_does_not_grow(
    world: World, answers: int, django_assert_num_queries: Any
) -> None:
    booking = attended(world)
    coordinator_feedback(
        booking.session, rating=4, contribution="Good.", answered_at=NOW, answered_by=world.coordinator
    )
    answered(VolunteerFeedback.objects.create(booking=booking))
    StudentFeedbackLinkFactory(session=booking.session)
    for _ in range(answers):
        StudentResponseFactory(session=booking.session)
    browser = signed_in(world.coordinator)

    with django_assert_num_queries(13):
        response = browser.get(page_url(booking.session_id))

    assert len(table_rows_of(find(response, "table", id="responses")[0])) == answers
