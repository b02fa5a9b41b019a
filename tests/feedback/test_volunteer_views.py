"""The volunteer's feedback form (from the emailed link) and "the difference you made".

The clock stands at Thursday 5 March 2026, 09:00 UK time; the session was three days before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from feedback.models import VolunteerFeedback, WellbeingFollowUp
from feedback.services import volunteer_feedback_token
from involvement.models import ActivityLog, Notification
from sessions_app.clock import LONDON
from sessions_app.models import Booking
from tests.accounts.test_views import find, h1, texts
from tests.conftest import World, signed_in
from tests.feedback.factories import (
    ImpactEntryFactory,
    StudentResponseFactory,
    answered,
    attended,
    coordinator_feedback,
)
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
SCRIPT = "<script>alert('x')</script>"
ANSWERS = {
    "how_it_went": "well",
    "felt_prepared": "yes",
    "felt_supported": "partly",
    "to_change": "A glass of water on the table, please.",
    "wants_contact": "no",
}


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def feedback(world: World) -> VolunteerFeedback:
    return VolunteerFeedback.objects.create(booking=attended(world))


def url(feedback: VolunteerFeedback) -> str:
    return f"/feedback/{volunteer_feedback_token(feedback)}/"


def test_the_link_shows_the_form_and_changes_nothing(client: Client, feedback: VolunteerFeedback) -> None:
    response = client.get(url(feedback))

    assert response.status_code == 200
    assert h1(response) == f"How did “{feedback.booking.session.title}” go?"
    assert texts(response, "legend") == [
        "How did the session go for you? *",
        "Did you feel prepared for it? *",
        "Did you feel supported on the day? *",
        "Would you like someone to contact you? *",
    ]
    feedback.refresh_from_db()
    assert (feedback.answered_at, ActivityLog.objects.count()) == (None, 0)


def test_answering_records_it_once(client: Client, world: World, feedback: VolunteerFeedback) -> None:
    response = client.post(url(feedback), ANSWERS)

    feedback.refresh_from_db()
    assert response.status_code == 200
    assert h1(response) == "Thank you"
    assert (
        feedback.how_it_went,
        feedback.felt_prepared,
        feedback.felt_supported,
        feedback.to_change,
        feedback.wants_contact,
        feedback.answered_at,
    ) == ("well", "yes", "partly", "A glass of water on the table, please.", False, NOW)
    assert list(ActivityLog.objects.values_list("action", "actor", "data")) == [
        ("feedback.volunteer_answered", None, {"booking": feedback.booking_id})
    ]
    assert WellbeingFollowUp.objects.count() == 0


def test_the_volunteer_signed_in_is_recorded_as_answering(world: World, feedback: VolunteerFeedback) -> None:
    signed_in(world.volunteer).post(url(feedback), ANSWERS)

    assert ActivityLog.objects.get().actor == world.volunteer


def test_a_second_answer_is_refused_and_changes_nothing(client: Client, feedback: VolunteerFeedback) -> None:
    client.post(url(feedback), ANSWERS)

    response = client.post(url(feedback), {**ANSWERS, "how_it_went": "hard", "to_change": "changed"})

    feedback.refresh_from_db()
    assert response.status_code == 400
    assert texts(response, "div", id="refusal") == ["You have already answered. Thank you for telling us how it went."]
    assert (feedback.how_it_went, feedback.to_change) == ("well", "A glass of water on the table, please.")


def test_missing_answers_are_listed_at_the_top(client: Client, feedback: VolunteerFeedback) -> None:
    response = client.post(url(feedback), {"to_change": "x" * 2001})

    assert response.status_code == 400
    [summary] = find(response, "div", id="error-summary")
    assert texts(summary, "li") == [
        "How did the session go for you?: Please choose how the session went for you.",
        "Did you feel prepared for it?: Please choose whether you felt prepared.",
        "Did you feel supported on the day?: Please choose whether you felt supported.",
        "Is there anything you would change? (optional): Please shorten this to 2,000 characters or fewer.",
        "Would you like someone to contact you?: Please say whether you would like someone to contact you.",
    ]
    feedback.refresh_from_db()
    assert feedback.answered_at is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"how_it_went": "hard"}, "told us the session was hard for them"),
        ({"wants_contact": "yes"}, "would like someone to contact them"),
    ],
)
def test_finding_it_hard_or_asking_for_contact_raises_a_follow_up_for_the_lead(
    client: Client,
    world: World,
    feedback: VolunteerFeedback,
    changes: dict[str, str],
    reason: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(feedback), {**ANSWERS, **changes})

    [follow_up] = WellbeingFollowUp.objects.all()
    assert (follow_up.volunteer, follow_up.network, follow_up.booking, follow_up.status, follow_up.source) == (
        feedback.booking.volunteer,
        world.charity,
        feedback.booking,
        "open",
        "feedback",
    )
    assert (follow_up.found_it_hard, follow_up.asked_for_contact) == (
        changes.get("how_it_went") == "hard",
        changes.get("wants_contact") == "yes",
    )
    assert texts(response, "p", id="follow-up") == [
        "We have let your lead at Charity A know. Someone will be in touch soon."
    ]
    [email] = Notification.objects.filter(template_key="feedback/follow_up_raised")
    assert (email.recipient, email.about) == (world.lead, world.volunteer)
    assert email.context["reason"] == reason
    assert "A glass of water" not in str(email.context)
    opened = ActivityLog.objects.get(action="follow_up.opened")
    assert opened.data == {"source": "feedback", "booking": feedback.booking_id}


def test_asking_for_contact_without_a_partnered_network_says_whom_to_ask(
    client: Client, world: World, feedback: VolunteerFeedback
) -> None:
    world.charity.partnerships_as_network.update(ends_on=datetime.date(2026, 1, 1))

    response = client.post(url(feedback), {**ANSWERS, "wants_contact": "yes"})

    assert WellbeingFollowUp.objects.count() == 0
    assert texts(response, "p", id="follow-up") == [
        "We could not find a lead to pass this to. Please contact the session’s coordinator, or your network, "
        "and they will help."
    ]


@pytest.mark.parametrize("token", ["nonsense", "eyJmZWVkYmFjayI6MX0:1abcde:tampered"])
def test_a_tampered_link_is_refused(client: Client, token: str) -> None:
    response = client.get(f"/feedback/{token}/")

    assert response.status_code == 400
    assert texts(response, "div", id="link-error") == ["This link is not valid. Please check you copied all of it."]


def test_an_old_link_has_expired(client: Client, feedback: VolunteerFeedback, clock: time_machine.Traveller) -> None:
    address = url(feedback)
    clock.move_to(NOW + datetime.timedelta(days=31))

    response = client.post(address, ANSWERS)

    assert response.status_code == 400
    assert texts(response, "div", id="link-error") == [
        "This link has expired. If you would still like to tell us how it went, please contact the coordinator."
    ]
    feedback.refresh_from_db()
    assert feedback.answered_at is None


def test_a_withdrawn_request_says_so(client: Client, feedback: VolunteerFeedback) -> None:
    address = url(feedback)
    Booking.objects.filter(pk=feedback.booking_id).update(status=Booking.Status.NO_SHOW)
    feedback.delete()

    response = client.get(address)

    assert response.status_code == 400
    assert texts(response, "div", id="link-error") == [
        "We no longer need feedback through this link: the coordinator may have changed the attendance record."
    ]


# The difference you made --------------------------------------------------------------------------


def profile_of(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


def test_the_difference_page_shows_what_came_of_each_session(world: World) -> None:
    booking = attended(world)
    session = booking.session
    coordinator_feedback(
        session,
        rating=5,
        contribution="Your story changed the room.",
        students_took="Listen first.",
        answered_at=NOW,
    )
    StudentResponseFactory(session=session, learned=f"Patience {SCRIPT}", chosen=True, rating=5)
    StudentResponseFactory(session=session, learned="Private thoughts", chosen=False, rating=4)
    by_session = ImpactEntryFactory(university=world.university, title="Story first", what_changed="We open with it.")
    by_session.sessions.set([session])
    by_module = ImpactEntryFactory(university=world.university, title="New OSCE station")
    by_module.modules.set([session.module])
    ImpactEntryFactory(university=world.university, title="Elsewhere")
    other = attended(world, profile_of(world), days_ago=10)
    Booking.objects.filter(pk=other.pk).update(status=Booking.Status.NO_SHOW)

    response = signed_in(world.volunteer).get("/me/difference/")

    page = response.content.decode()
    [article] = find(response, "article", class_="contribution")
    assert response.status_code == 200
    assert texts(article, "h2") == [session.title]
    assert texts(article, "blockquote", class_="coordinator-words") == [
        "Your story changed the room. What students took from it: Listen first."
    ]
    assert texts(article, "ul", class_="student-comments") == ["“Patience <script>alert('x')</script>”"]
    assert "&lt;script&gt;" in page
    assert SCRIPT not in page
    assert "Private thoughts" not in page
    [impact] = find(article, "ul", class_="impact")
    assert [text.split(":")[0] for text in texts(impact, "li")] == [
        "New OSCE station (A teaching approach, January 2026)",
        "Story first (A teaching approach, January 2026)",
    ]
    assert "2 students answered, rating it 4.5 out of 5 on average." in " ".join(texts(article, "p"))


def test_the_difference_page_lists_feedback_still_waiting(world: World, feedback: VolunteerFeedback) -> None:
    response = signed_in(world.volunteer).get("/me/difference/")

    [waiting] = find(response, "ul", id="waiting")
    [link] = find(waiting, "a")
    assert dict(link.attributes)["href"].startswith("/feedback/")


@pytest.mark.parametrize("sessions", [1, 3])
def test_the_difference_page_query_count_does_not_grow(
    world: World, sessions: int, django_assert_num_queries: Any
) -> None:
    for days_ago in range(sessions):
        booking = attended(world, days_ago=days_ago + 2)
        coordinator_feedback(booking.session, rating=4, contribution="Thank you.", answered_at=NOW)
        StudentResponseFactory(session=booking.session, chosen=True)
        entry = ImpactEntryFactory(university=world.university)
        entry.sessions.set([booking.session])
        entry.modules.set([booking.session.module])
        answered(VolunteerFeedback.objects.create(booking=booking))
    client = signed_in(world.volunteer)

    with django_assert_num_queries(13):
        response = client.get("/me/difference/")

    assert len(find(response, "article", class_="contribution")) == sessions
