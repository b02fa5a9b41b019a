"""A session's journey through the real pages: the coordinator creates a session and invites the
demo volunteer, she accepts through the emailed link, the reminder goes the day before, and the
coordinator marks her attendance."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from involvement.models import Notification
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.services import send_due_reminders
from tests.e2e.conftest import sign_in
from volunteers.models import PartOfDay, VolunteerProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Radiotherapy planning: what it felt like"
VENUE = "Room 1.05, Allied Health Building, Northbridge campus"
# The start and end of a two-hour session (Siân's longest) in each part of the day.
HOURS = {PartOfDay.MORNING: (10, 12), PartOfDay.AFTERNOON: (14, 16), PartOfDay.EVENING: (18, 20)}


def when_sian_is_free(profile: VolunteerProfile) -> tuple[datetime.date, datetime.time, datetime.time]:
    """The first day from 10 days ahead on which Siân is usually free, with a two-hour slot in
    the first part of that day she gave."""
    slots = set(profile.weekly_availability.values_list("weekday", "part_of_day"))
    for offset in range(10, 17):
        day = timezone.localdate() + datetime.timedelta(days=offset)
        for part, (start, end) in HOURS.items():
            if (day.weekday(), part) in slots:
                return day, datetime.time(start), datetime.time(end)
    raise AssertionError(f"Siân is never free: {slots}")


def sent_to(email: str, subject: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [email] and message.subject == subject]


def test_coordinator_invites_volunteer_accepts_by_email_reminder_goes_and_attendance_is_marked(
    live_server, page, settings
):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    sian = VolunteerProfile.objects.select_related("user").get(user__email="volunteer@example.org")
    day, start, end = when_sian_is_free(sian)
    # This academic year's module (the demo has last year's programmes too).
    module = (
        Module.objects.select_related("programme")
        .filter(code="RAD305", programme__university__slug="northbridge")
        .order_by("-programme__academic_year")
        .first()
    )
    module_label = f"{module.code} {module.title} ({module.programme.name}, {module.programme.academic_year})"

    # The coordinator signs in with their code and creates the session as a draft.
    sign_in(page, base, "coordinator@example.org", totp=True)
    assert page.locator("h1").inner_text() == "Sessions"
    page.get_by_role("link", name="New session").click()
    assert page.locator("h1").inner_text() == "New session"
    page.get_by_label("Module").select_option(label=module_label)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Kind of involvement").select_option(label="Teaching or storytelling")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill(f"{start:%H:%M}")
    page.get_by_label("End time").fill(f"{end:%H:%M}")
    page.get_by_label("Venue").fill(VENUE)
    page.get_by_label("Places for volunteers").fill("2")
    page.get_by_label("radiotherapy (Breast Cancer Voices)", exact=True).check()
    page.get_by_label("Share my story with students", exact=True).check()
    page.get_by_label("Briefing for volunteers").fill("Please come to the main reception at the start time.")
    page.get_by_role("button", name="Save the session").click()

    assert page.locator("h1").inner_text() == TITLE
    session = TeachingSession.objects.get(title=TITLE)
    assert (session.status, session.starts_at, session.ends_at, session.places, session.venue) == (
        "draft",
        london_datetime(day, start),
        london_datetime(day, end),
        2,
        VENUE,
    )
    assert list(session.required_consents.values_list("code", flat=True)) == ["share-story"]

    # ...opens it, finds Siân among the suggestions and invites her.
    page.locator("#actions").get_by_role("link", name="Open", exact=True).click()
    page.get_by_role("button", name="Open the session").click()
    assert page.locator("h1").inner_text() == TITLE
    page.get_by_role("link", name="Find volunteers").click()
    assert page.locator("h1").inner_text() == f"Suggested volunteers for {TITLE}"
    page.get_by_label("Invite Siân", exact=True).check()
    page.get_by_role("button", name="Invite the ticked volunteers").click()

    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("#invited").get_by_role("cell", name="Siân", exact=True).count() == 1
    booking = Booking.objects.get(session=session)
    assert (booking.volunteer, booking.status) == (sian, "invited")

    # Siân opens the emailed link in a browser where nobody is signed in, and accepts.
    [invitation] = sent_to(sian.user.email, f"Invitation: {TITLE}")
    [path] = re.findall(r"https?://[^/\s]+(/invitation/[^/\s]+/)", invitation.body)
    volunteer = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
    volunteer.set_default_timeout(15_000)
    volunteer.goto(f"{base}{path}")
    assert volunteer.locator("h1").inner_text() == f"Would you like to join “{TITLE}”?"
    volunteer.get_by_role("button", name="Yes, I'll come").click()
    assert volunteer.locator("h1").inner_text() == f"Your invitation to “{TITLE}”"
    assert volunteer.locator("#invitation-state").inner_text().startswith("You have accepted.")
    volunteer.context.close()

    booking.refresh_from_db()
    assert booking.status == "accepted"
    [confirmation] = sent_to(sian.user.email, f"Your place is booked: {TITLE}")
    [(filename, content, mimetype)] = confirmation.attachments
    [event] = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert (filename, mimetype, str(event["SUMMARY"]), event.decoded("DTSTART")) == (
        "session.ics",
        "text/calendar",
        f"{TITLE} (University of Northbridge)",
        london_datetime(day, start),
    )

    # The day before, at the session's UK start time, the reminder goes: once.
    reminder_key = f"reminder:1d:booking:{booking.pk}"
    with time_machine.travel(london_datetime(day - datetime.timedelta(days=1), start), tick=True):
        queued = send_due_reminders()
        again = send_due_reminders()
    # Other demo sessions' reminders may be due then too; Siân's is one of them, and only once.
    every_reminder = Notification.objects.filter(template_key="sessions_app/reminder")
    assert (queued, again) == (every_reminder.count(), 0)
    reminders = every_reminder.filter(recipient=sian.user)
    assert list(reminders.values_list("unique_key", flat=True)) == [reminder_key]
    assert len(sent_to(sian.user.email, f"Tomorrow: {TITLE}")) == 1

    # The session took place yesterday; the coordinator marks Siân as attended.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    TeachingSession.objects.filter(pk=session.pk).update(
        starts_at=london_datetime(yesterday, start), ends_at=london_datetime(yesterday, end)
    )
    page.goto(f"{base}/sessions/{session.pk}/")
    page.get_by_role("link", name="Mark attendance").click()
    assert page.locator("h1").inner_text() == f"Attendance at {TITLE}"
    page.get_by_role("group", name="Siân", exact=True).get_by_label("Attended", exact=True).check()
    page.get_by_role("button", name="Save attendance").click()

    assert page.locator("h1").inner_text() == TITLE
    booking.refresh_from_db()
    session.refresh_from_db()
    assert (booking.status, booking.hours, session.status) == ("attended", Decimal("2.00"), "completed")
    assert page.locator("#attended li").first.inner_text().startswith("Siân (2.00 hours)")
