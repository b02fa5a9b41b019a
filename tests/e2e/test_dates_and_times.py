"""Dates and times are typed the same way whatever the browser's language: a browser set to US
English is shown day/month/year and the 24-hour clock on the session form, and 27/03 and 14:30
are read as the 27 March at half past two in the afternoon, UK time."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions_app.clock import london_datetime
from sessions_app.models import Module, TeachingSession
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Radiotherapy: questions students ask"


def test_a_us_english_browser_types_a_uk_date_and_a_24_hour_time(live_server, browser, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(15_000)
    today = timezone.localdate()
    day = datetime.date(today.year + 1, 3, 27)
    module = (
        Module.objects.select_related("programme")
        .filter(code="RAD305", programme__university__slug="northbridge")
        .order_by("-programme__academic_year")
        .first()
    )
    sign_in(page, live_server.url, "coordinator@example.org", totp=True)

    page.goto(f"{live_server.url}/sessions/new/")
    date, start = page.locator("#id_date"), page.locator("#id_start_time")
    assert (date.get_attribute("type"), start.get_attribute("type")) == ("text", "text")
    assert page.locator("#id_date_helptext").inner_text() == "For example 27/03/2026."
    assert page.locator("#id_start_time_helptext").inner_text() == "UK time, on the 24-hour clock: for example 14:30."
    page.get_by_label("Module").select_option(
        label=f"{module.code} {module.title} ({module.programme.name}, {module.programme.academic_year})"
    )
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Kind of involvement").select_option(label="Teaching or storytelling")
    date.fill(f"27/03/{day.year}")
    start.fill("14:30")
    page.get_by_label("End time").fill("16:00")
    page.get_by_label("Venue").fill("Room 1.05")
    page.get_by_label("Places for volunteers").fill("2")
    page.get_by_role("button", name="Save the session").click()

    assert page.locator("h1").inner_text() == TITLE, page.locator("#error-summary").all_inner_texts()
    session = TeachingSession.objects.get(title=TITLE)
    assert (session.starts_at, session.ends_at) == (
        london_datetime(day, datetime.time(14, 30)),
        london_datetime(day, datetime.time(16, 0)),
    )
    page.goto(f"{live_server.url}/sessions/{session.pk}/edit/")
    assert (date.input_value(), start.input_value()) == (f"27/03/{day.year}", "14:30")
    context.close()
