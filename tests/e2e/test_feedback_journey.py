"""Feedback's journey through the real pages: the coordinator marks attendance at the session that
needs it, a student answers through the session's anonymous link, the coordinator shares the
comment, a volunteer who came answers through the link in her email and asks for a call, the
network's lead sees the follow-up on her home page, the lead's report counts the session and
shows the comment, and the volunteer downloads her certificate of involvement."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from feedback.models import StudentResponse, VolunteerFeedback, WellbeingFollowUp
from involvement import formatting
from involvement.models import Notification
from sessions_app.models import Booking, TeachingSession
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMMENT = "Hearing about the first day of radiotherapy will change how I explain the room."


def new_page(page):
    """A page in a browser of its own (nobody signed in)."""
    other = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
    other.set_default_timeout(15_000)
    return other


def group(page, name: str):
    return page.get_by_role("group", name=name)


def test_attendance_to_feedback_follow_up_report_and_certificate(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    session = TeachingSession.objects.get(title="Radiotherapy: the first day")
    came, stayed_away = Booking.objects.filter(session=session, status=Booking.Status.ACCEPTED).select_related(
        "volunteer__user"
    )

    # 1. The coordinator marks attendance: one came, one did not.
    coordinator = page
    sign_in(coordinator, base, "coordinator@example.org", totp=True)
    coordinator.goto(f"{base}/sessions/{session.pk}/attendance/")
    assert coordinator.locator("h1").inner_text() == f"Attendance at {session.title}"
    group(coordinator, came.volunteer.display_name).get_by_label("Attended").check()
    group(coordinator, stayed_away.volunteer.display_name).get_by_label("Did not attend").check()
    coordinator.get_by_role("button", name="Save attendance").click()
    came.refresh_from_db()
    stayed_away.refresh_from_db()
    assert (came.status, stayed_away.status) == (Booking.Status.ATTENDED, Booking.Status.NO_SHOW)
    request = Notification.objects.get(template_key="feedback/volunteer_request", recipient=came.volunteer.user)
    assert not Notification.objects.filter(
        template_key="feedback/volunteer_request", recipient=stayed_away.volunteer.user
    ).exists()

    # 2. The session's feedback page gives the students' link (the demo made it before the session)...
    coordinator.goto(f"{base}{session.get_absolute_url()}")
    coordinator.locator("#feedback-link").get_by_role("link", name="Student feedback").click()
    assert coordinator.locator("h1").inner_text() == f"Feedback on “{session.title}”"
    assert "It is open until" in coordinator.locator("#student-link").inner_text()
    student_link = coordinator.locator("#student-link a").get_attribute("href") or ""
    assert urlsplit(student_link).path.startswith("/s/")

    # ...and a student answers through it, with no account and nothing about themselves.
    student = new_page(page)
    student.goto(f"{base}{urlsplit(student_link).path}")
    assert student.locator("h1").inner_text() == f"Feedback on “{session.title}”"
    student.get_by_label("What did you learn from this session?").fill(COMMENT)
    group(student, "Will it change how you practise?").get_by_label("Yes").check()
    group(student, "How useful was the session?").get_by_label("4 – very useful").check()
    student.get_by_role("button", name="Send my feedback").click()
    assert "your answer is in" in student.locator("#answered").inner_text()
    [answer] = StudentResponse.objects.filter(session=session)
    assert (answer.learned, answer.change_practice, answer.rating) == (COMMENT, "yes", 4)
    # The same browser cannot answer twice.
    student.reload()
    assert student.locator("#answered").count() == 1
    assert StudentResponse.objects.filter(session=session).count() == 1

    # The coordinator shares the comment, so volunteers and reports may show it.
    coordinator.reload()
    coordinator.get_by_role("button", name="Share this comment").click()
    answer.refresh_from_db()
    assert answer.chosen is True

    # 3. The volunteer who came answers through the link in her email, and asks for a call.
    volunteer = new_page(page)
    sign_in(volunteer, base, came.volunteer.user.email, totp=False)
    volunteer.goto(f"{base}{urlsplit(request.context['feedback_url']).path}")
    group(volunteer, "How did the session go for you?").get_by_label("I found it hard").check()
    group(volunteer, "Did you feel prepared for it?").get_by_label("Yes").check()
    group(volunteer, "Did you feel supported on the day?").get_by_label("Partly").check()
    volunteer.get_by_label("Is there anything you would change? (optional)").fill("A break halfway through.")
    group(volunteer, "Would you like someone to contact you?").get_by_label("Yes, please contact me").check()
    volunteer.get_by_role("button", name="Send my answers").click()
    answered = VolunteerFeedback.objects.get(booking=came)
    assert (answered.how_it_went, answered.wants_contact, answered.to_change) == (
        "hard",
        True,
        "A break halfway through.",
    )
    follow_up = WellbeingFollowUp.objects.get(volunteer=came.volunteer)
    assert follow_up.status == WellbeingFollowUp.Status.OPEN

    # 4. The network's lead sees the open follow-up on her home page and opens it.
    lead = new_page(page)
    sign_in(lead, base, "lead@example.org", totp=True)
    panel = lead.locator("#open-follow-ups")
    assert f"after “{session.title}”" in panel.inner_text()
    panel.get_by_role("link", name=came.volunteer.display_name).first.click()
    assert came.volunteer.display_name in lead.locator("h1").inner_text()

    # 5. Her report for the day of the session counts it, and shows the shared comment.
    day = timezone.localdate(session.starts_at)
    network = came.volunteer.memberships.get(status="active").network
    lead.goto(f"{base}/reports/{network.slug}/?start={day:%Y-%m-%d}&end={day:%Y-%m-%d}")
    summary = lead.locator("#summary")
    assert summary.get_by_role("row", name="Sessions held").inner_text().split()[-1] == "1"
    assert summary.get_by_role("row", name="Involvements (places attended)").inner_text().split()[-1] == "1"
    assert COMMENT in lead.locator("#comments").inner_text()

    # 6. The volunteer downloads her certificate of involvement, naming her and the session.
    volunteer.goto(f"{base}/me/")
    with volunteer.expect_download() as download:
        volunteer.get_by_role("link", name="Download your certificate (PDF)").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = " ".join(page_.extract_text() for page_ in pdf.pages)
    assert came.volunteer.display_name in text
    assert session.title in " ".join(text.split())
    assert f"{formatting.day(timezone.localdate())}" in " ".join(text.split())
    for other in (student, volunteer, lead):
        other.context.close()
