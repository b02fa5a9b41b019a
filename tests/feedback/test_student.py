"""The students' anonymous feedback: the coordinator's link and QR code, and the public form.

The clock stands at Thursday 5 March 2026, 11:00 UK time, during a session from 10:00–12:00 at
University A; its form closes seven days after the end, on 12 March at 12:00.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterator

import pytest
import segno
import time_machine
from django.test import Client

from feedback.models import StudentFeedbackLink, StudentResponse
from feedback.qr import qr_svg
from involvement.models import ActivityLog
from sessions_app.clock import LONDON
from sessions_app.models import TeachingSession
from tests.accounts.test_views import find, h1, texts
from tests.conftest import World, signed_in
from tests.feedback.factories import StudentFeedbackLinkFactory
from tests.sessions_app.factories import session_at

NOW = datetime.datetime(2026, 3, 5, 11, 0, tzinfo=LONDON)
START = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=LONDON)
END = START + datetime.timedelta(hours=2)
ANSWER = {"learned": "To ask before I explain.", "change_practice": "yes", "rating": "5"}
CLOSED = "This feedback form has closed, so it is no longer taking answers. Thank you for your interest."


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def session(world: World) -> TeachingSession:
    return session_at(world.university, world.coordinator, starts_at=START, ends_at=END, title="Living with it")


@pytest.fixture
def link(session: TeachingSession) -> StudentFeedbackLink:
    return StudentFeedbackLinkFactory(
        session=session, token="abcdefghijklmnop", closes_at=END + datetime.timedelta(days=7)
    )


FORM = "/s/abcdefghijklmnop/"


# The coordinator's side ---------------------------------------------------------------------------


def test_the_coordinator_makes_the_link_once(world: World, session: TeachingSession) -> None:
    browser = signed_in(world.coordinator)

    first = browser.post(f"/sessions/{session.pk}/feedback/student-link/")
    browser.post(f"/sessions/{session.pk}/feedback/student-link/")

    [link] = StudentFeedbackLink.objects.all()
    assert (first.status_code, first["Location"]) == (302, f"/sessions/{session.pk}/feedback/")
    assert (link.session, link.closes_at, len(link.token)) == (session, END + datetime.timedelta(days=7), 16)
    assert list(ActivityLog.objects.values_list("action", flat=True)) == ["feedback.student_link_made"]
    page = browser.get(f"/sessions/{session.pk}/feedback/")
    assert texts(page, "p", id="student-link") == [
        f"Students answer anonymously at http://127.0.0.1:8000/s/{link.token}/ . "
        "It is open until Thursday 12 March 2026, 12:00."
    ]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("draft", "This session is still a draft. Open it first; then you can make its student feedback link."),
        ("cancelled", "This session was cancelled, so students cannot give feedback on it."),
    ],
)
def test_no_link_for_a_draft_or_cancelled_session(
    world: World, session: TeachingSession, status: str, message: str
) -> None:
    TeachingSession.objects.filter(pk=session.pk).update(status=status)
    browser = signed_in(world.coordinator)

    browser.post(f"/sessions/{session.pk}/feedback/student-link/")
    page = browser.get(f"/sessions/{session.pk}/feedback/")

    assert StudentFeedbackLink.objects.count() == 0
    assert texts(page, "div", class_="alert-danger") == [message]


def test_another_universitys_coordinator_cannot_make_the_link(world: World, session: TeachingSession) -> None:
    response = signed_in(world.other_coordinator).post(f"/sessions/{session.pk}/feedback/student-link/")

    assert (response.status_code, StudentFeedbackLink.objects.count()) == (404, 0)


def test_the_project_page_draws_the_qr_code_inline_without_inline_style_or_script(
    world: World, link: StudentFeedbackLink
) -> None:
    response = signed_in(world.coordinator).get(f"/sessions/{link.session_id}/feedback/project/")

    page = response.content.decode()
    address = "http://127.0.0.1:8000/s/abcdefghijklmnop/"
    assert response.status_code == 200
    assert h1(response) == "Tell us what you learned"
    assert str(qr_svg(address, title="QR code: feedback on “Living with it”")) in page
    assert texts(response, "figcaption", id="student-address") == [address]
    assert texts(response, "p", id="window") == ["Open until Thursday 12 March 2026, 12:00."]
    assert re.findall(r"\sstyle\s*=", page) == []
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert re.findall(r"\son[a-z]+\s*=", page) == []
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_qr_code_encodes_the_link() -> None:
    svg = str(qr_svg("http://127.0.0.1:8000/s/abc/", title="QR"))

    expected = segno.make("http://127.0.0.1:8000/s/abc/", error="m").svg_inline(
        scale=10, border=4, title="QR", svgclass="qr-code w-100 h-auto", lineclass=None, omitsize=True
    )
    assert svg == expected.replace("<svg ", '<svg role="img" ', 1)
    assert svg.startswith('<svg role="img" viewBox=')


def test_the_project_page_without_a_link_sends_the_coordinator_to_make_one(
    world: World, session: TeachingSession
) -> None:
    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/feedback/project/")

    assert (response.status_code, response["Location"]) == (302, f"/sessions/{session.pk}/feedback/")


# The student's side -------------------------------------------------------------------------------


def test_the_form_asks_nothing_about_the_student_and_sets_its_cookie(client: Client, link: StudentFeedbackLink) -> None:
    response = client.get(FORM)

    cookie = response.cookies["student_feedback"]
    assert response.status_code == 200
    assert h1(response) == "Feedback on “Living with it”"
    assert sorted(
        {dict(field.attributes)["name"] for field in find(response, "input") + find(response, "textarea")}
    ) == [
        "change_practice",
        "csrfmiddlewaretoken",
        "learned",
        "rating",
    ]
    assert (cookie["path"], cookie["httponly"], cookie["samesite"], cookie["max-age"]) == (
        FORM,
        True,
        "Lax",
        60 * 60 * 24 * 365,
    )
    assert len(cookie.value) == 43
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_answer_is_kept_with_only_a_hash_of_the_browser_key(client: Client, link: StudentFeedbackLink) -> None:
    client.get(FORM)
    key = client.cookies["student_feedback"].value

    response = client.post(FORM, ANSWER)

    [answer] = StudentResponse.objects.all()
    assert (response.status_code, response["Location"]) == (302, FORM)
    assert (answer.session, answer.learned, answer.change_practice, answer.rating, answer.chosen) == (
        link.session,
        "To ask before I explain.",
        "yes",
        5,
        False,
    )
    assert answer.browser == hashlib.sha256(key.encode()).hexdigest()
    again = client.get(FORM)
    assert texts(again, "div", id="answered") == [
        "Thank you: your answer is in. Everyone who came to the session answers once."
    ]
    assert find(again, "textarea") == []


def test_one_answer_per_browser(client: Client, link: StudentFeedbackLink) -> None:
    client.get(FORM)
    client.post(FORM, ANSWER)

    response = client.post(FORM, {**ANSWER, "learned": "Something else"})

    assert response.status_code == 400
    assert StudentResponse.objects.count() == 1
    assert texts(response, "div", id="answered") == [
        "Thank you: your answer is in. Everyone who came to the session answers once."
    ]


def test_another_browser_answers_too(link: StudentFeedbackLink) -> None:
    for _ in range(2):
        browser = Client()
        browser.get(FORM)
        browser.post(FORM, ANSWER)

    assert StudentResponse.objects.count() == 2


def test_a_browser_that_posts_without_a_cookie_gets_one(client: Client, link: StudentFeedbackLink) -> None:
    response = client.post(FORM, ANSWER)

    [answer] = StudentResponse.objects.all()
    assert answer.browser == hashlib.sha256(response.cookies["student_feedback"].value.encode()).hexdigest()


def test_missing_answers_are_explained(client: Client, link: StudentFeedbackLink) -> None:
    response = client.post(FORM, {"learned": "  "})

    [summary] = find(response, "div", id="error-summary")
    assert response.status_code == 400
    assert texts(summary, "li") == [
        "What did you learn from this session?: Please tell us what you learned.",
        "Will it change how you practise?: Please choose yes, maybe or no.",
        "How useful was the session?: Please choose a rating from 1 to 5.",
    ]
    assert StudentResponse.objects.count() == 0


def test_script_in_an_answer_is_shown_escaped_to_the_coordinator(world: World, link: StudentFeedbackLink) -> None:
    Client().post(FORM, {**ANSWER, "learned": "<script>alert(1)</script>"})

    page = signed_in(world.coordinator).get(f"/sessions/{link.session_id}/feedback/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_the_form_opens_when_the_session_starts(
    client: Client, link: StudentFeedbackLink, clock: time_machine.Traveller
) -> None:
    clock.move_to(START - datetime.timedelta(minutes=1))

    page = client.get(FORM)
    posted = client.post(FORM, ANSWER)

    assert page.status_code == 200
    assert texts(page, "div", id="refusal") == [
        "This feedback form opens when the session starts, at 10:00 on Thursday 5 March 2026."
    ]
    assert (posted.status_code, StudentResponse.objects.count()) == (400, 0)


def test_a_closed_form_takes_no_answer(
    client: Client, link: StudentFeedbackLink, clock: time_machine.Traveller
) -> None:
    clock.move_to(END + datetime.timedelta(days=7))

    page = client.get(FORM)
    posted = client.post(FORM, ANSWER)

    assert (page.status_code, texts(page, "div", id="refusal")) == (400, [CLOSED])
    assert (posted.status_code, StudentResponse.objects.count()) == (400, 0)


def test_a_session_moved_later_keeps_its_whole_window(
    client: Client, link: StudentFeedbackLink, clock: time_machine.Traveller
) -> None:
    TeachingSession.objects.filter(pk=link.session_id).update(
        starts_at=START + datetime.timedelta(days=2), ends_at=END + datetime.timedelta(days=2)
    )
    clock.move_to(END + datetime.timedelta(days=8))

    assert client.post(FORM, ANSWER).status_code == 302


def test_a_cancelled_sessions_form_is_closed(client: Client, link: StudentFeedbackLink) -> None:
    TeachingSession.objects.filter(pk=link.session_id).update(status="cancelled")

    assert client.post(FORM, ANSWER).status_code == 400
    assert StudentResponse.objects.count() == 0


def test_a_link_nobody_made_is_not_found(client: Client, link: StudentFeedbackLink) -> None:
    response = client.post("/s/abcdefghijklmnoq/", ANSWER)

    assert response.status_code == 404
    assert texts(response, "div", id="link-error") == [
        "This link is not one of ours. Please check it is typed exactly as shown, or scan the QR code again."
    ]
    assert StudentResponse.objects.count() == 0


def test_answers_are_rate_limited_per_address(settings, link: StudentFeedbackLink) -> None:
    settings.FEEDBACK_STUDENT_RATE_LIMIT = 2
    statuses = []
    for _ in range(3):
        browser = Client(REMOTE_ADDR="192.0.2.10")
        statuses.append(browser.post(FORM, ANSWER))
    elsewhere = Client(REMOTE_ADDR="192.0.2.99").post(FORM, ANSWER)

    assert [response.status_code for response in statuses] == [302, 302, 429]
    assert statuses[2].content.decode() == (
        "Too many answers have come from your network in the last few minutes. Please wait a few minutes and try again."
    )
    assert statuses[2]["Content-Type"] == "text/plain; charset=utf-8"
    assert elsewhere.status_code == 302
    assert StudentResponse.objects.count() == 3


def test_the_limit_starts_again_in_the_next_window(
    settings, link: StudentFeedbackLink, clock: time_machine.Traveller
) -> None:
    settings.FEEDBACK_STUDENT_RATE_LIMIT = 1
    Client(REMOTE_ADDR="192.0.2.10").post(FORM, ANSWER)
    assert Client(REMOTE_ADDR="192.0.2.10").post(FORM, ANSWER).status_code == 429

    clock.move_to(NOW + datetime.timedelta(seconds=settings.FEEDBACK_STUDENT_RATE_WINDOW))

    assert Client(REMOTE_ADDR="192.0.2.10").post(FORM, ANSWER).status_code == 302


def test_answers_still_work_when_the_cache_misses(settings, link: StudentFeedbackLink) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.FEEDBACK_STUDENT_RATE_LIMIT = 1

    statuses = [Client().post(FORM, ANSWER).status_code for _ in range(3)]

    assert statuses == [302, 302, 302]
