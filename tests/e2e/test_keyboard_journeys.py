"""The main journeys with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys), with the
focus visible at every step (tests/e2e/keyboard.py): a volunteer answers an invitation, and then
claims her expenses through the claim form's steps; a coordinator creates a session and invites
volunteers; a lead reviews the network and a report; a student gives feedback; finance previews a
payment run, starts it and sees it paid. Signing in is the set-up (tests/e2e/test_smoke.py covers
it); the pages a link in an email opens are opened at their address."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from expenses.models import Claim, ReimbursementRun
from expenses.selectors import volunteers_claimable_bookings
from feedback.models import StudentFeedbackLink, StudentResponse
from involvement import formatting
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.views.volunteer import invitation_url
from tests.e2e.conftest import sign_in
from tests.e2e.keyboard import choose, press_link_or_button, tab, tab_to_field, type_into

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Living with lymphoedema: a conversation"


def h1(page) -> str:
    return page.locator("h1").inner_text()


def test_a_volunteer_answers_an_invitation_by_keyboard(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    booking = Booking.objects.filter(volunteer__user__email="volunteer@example.org", status="invited").first()
    assert booking is not None
    sign_in(page, live_server.url, "volunteer@example.org", totp=False)

    page.goto(live_server.url + invitation_url(booking))
    press_link_or_button(page, "Yes, I'll come")

    assert h1(page) == "My sessions"
    booking.refresh_from_db()
    assert booking.status == "accepted"


def test_a_coordinator_creates_a_session_and_invites_volunteers_by_keyboard(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    day = timezone.localdate() + datetime.timedelta(days=21)
    sign_in(page, live_server.url, "coordinator@example.org", totp=True)
    assert h1(page) == "Sessions"

    module = (
        Module.objects.select_related("programme")
        .filter(code="RAD305", programme__university__slug="northbridge")
        .order_by("-programme__academic_year")
        .first()
    )
    press_link_or_button(page, "New session")
    assert h1(page) == "New session"
    choose(page, "Module", f"{module.code} {module.title} ({module.programme.name}, {module.programme.academic_year})")
    type_into(page, "Title", TITLE)
    choose(page, "Kind of involvement", "Teaching or storytelling")
    type_into(page, "Date", f"{day:%d/%m/%Y}")
    type_into(page, "Start time", "14:30")
    type_into(page, "End time", "16:00")
    type_into(page, "Venue", "Room 1.05, Allied Health Building")
    type_into(page, "Places for volunteers", "2")
    press_link_or_button(page, "Save the session")

    assert h1(page) == TITLE, page.locator("#error-summary").all_inner_texts()
    session = TeachingSession.objects.get(title=TITLE)
    assert (session.status, session.starts_at, session.ends_at) == (
        "draft",
        london_datetime(day, datetime.time(14, 30)),
        london_datetime(day, datetime.time(16, 0)),
    )

    press_link_or_button(page, "Open")
    press_link_or_button(page, "Open the session")
    press_link_or_button(page, "Find volunteers")
    assert h1(page) == f"Suggested volunteers for {TITLE}"
    info = tab_to_field_starting(page, "Invite ")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    press_link_or_button(page, "Invite the ticked volunteers")

    assert h1(page) == TITLE
    [booking] = Booking.objects.filter(session=session)
    assert (booking.status, f"Invite {booking.volunteer.display_name}") == ("invited", info["labels"][0])


def tab_to_field_starting(page, start: str) -> dict:
    for _ in range(250):
        info = tab(page)
        if any(label.startswith(start) for label in info["labels"]):
            return info
    raise AssertionError(f"no field labelled {start!r}…")


def test_a_lead_reviews_the_network_and_a_report_by_keyboard(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    sign_in(page, live_server.url, "lead@example.org", totp=True)
    assert h1(page) == "Volunteers of Breast Cancer Voices"

    name = page.locator("main table a").first.inner_text()
    press_link_or_button(page, name)
    assert h1(page) == name

    press_link_or_button(page, "Reports")
    assert h1(page) == "Reports"
    press_link_or_button(page, "This academic year")
    assert h1(page) == "Report: Breast Cancer Voices"
    assert page.locator("#summary").count() == 1


def test_a_student_gives_feedback_by_keyboard(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    link = next(link for link in StudentFeedbackLink.objects.select_related("session") if link.is_open)

    page.goto(f"{live_server.url}/s/{link.token}/")
    type_into(page, "What did you learn from this session?", "To explain the room before the first day.")
    tab_to_field(page, "Yes")  # the first answer of "Will it change how you practise?"
    page.keyboard.press("Space")
    info = tab(page)  # Tab leaves a radio group: the next group's first answer
    page.keyboard.press("ArrowRight")  # arrow keys move within a group and choose
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    chosen = page.evaluate("() => document.activeElement.labels[0].innerText.trim()")
    press_link_or_button(page, "Send my feedback")

    assert "your answer is in" in page.locator("#answered").inner_text()
    [answer] = StudentResponse.objects.filter(session=link.session)
    assert (answer.change_practice, answer.rating, info["type"], chosen) == ("yes", 4, "radio", "4 – very useful")


def test_a_volunteer_answers_an_invitation_then_claims_through_the_steps_by_keyboard(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    invited = Booking.objects.filter(volunteer__user__email="volunteer@example.org", status="invited").first()
    # The demo gives Siân an admissions interview day she attended and has not claimed for yet.
    [attended] = volunteers_claimable_bookings(invited.volunteer)
    sign_in(page, live_server.url, "volunteer@example.org", totp=False)

    page.goto(live_server.url + invitation_url(invited))
    press_link_or_button(page, "Yes, I'll come")
    assert h1(page) == "My sessions"

    press_link_or_button(page, "Money")
    press_link_or_button(page, f"Start a claim for {attended.session.title}")
    press_link_or_button(page, "Start my claim")
    claim = Claim.objects.get(booking=attended)

    # Step 1: a return trip by car, the vehicle chosen with the arrow keys, the box ticked with Space.
    assert (h1(page), step(page)) == ("Your journey", "Step 1 of 4")
    type_into(page, "Postcode you travelled from", "ls1 4dy")
    type_into(page, "Postcode you travelled to", "LS2 9JT")
    type_into(page, "Miles, one way", "6.5")
    tab_to_field(page, "I came back the same way (a return trip)")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    choose(page, "Vehicle", "Car or van")
    press_link_or_button(page, "Save and continue")

    # Step 2: lunch; then back with Shift+Tab to the step before, and on again.
    assert (h1(page), step(page)) == ("Other costs", "Step 2 of 4")
    choose(page, "What was it for?", "Food and drink")
    type_into(page, "Amount (£)", "6.20")
    type_into(page, "Description", "Sandwich and tea")
    press_link_or_button(page, "Save and continue")

    # Step 3: the fee donated to her charity, chosen with the arrow keys.
    assert (h1(page), step(page)) == ("Your fee", "Step 3 of 4")
    tab_to_field(page, "Take the fee")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.labels[0].innerText.trim()") == "Donate the fee to my charity"
    info = tab(page)
    assert info["labels"] == ["The reduced amount you would like (£)"]
    tab(page, back=True)  # Shift+Tab goes back to the chosen answer
    assert page.evaluate("() => document.activeElement.checked")
    press_link_or_button(page, "Save and continue")

    # Step 4: everything, then send.
    assert (h1(page), step(page)) == ("Check your claim and send it", "Step 4 of 4")
    assert page.locator("#check-journeys tbody td").all_inner_texts()[1:3] == [
        "LS1 4DY to LS2 9JT, by car or van",
        "13.0",
    ]
    assert page.locator("#check-costs tbody td").all_inner_texts()[:4] == [
        "Food and drink",
        formatting.day(attended.session.starts_at),
        "Sandwich and tea",
        "£6.20",
    ]
    press_link_or_button(page, "Send my claim")

    assert page.locator("#claim-status").inner_text() == "Where it is: Sent, waiting for approval"
    claim.refresh_from_db()
    assert (claim.status, claim.fee_choice, claim.fee_requested) == ("submitted", "donate", Decimal("0.00"))
    assert sorted(claim.items.values_list("kind", "miles", "note")) == [
        ("mileage", Decimal("13.0"), ""),
        ("subsistence", None, "Sandwich and tea"),
    ]
    invited.refresh_from_db()
    assert invited.status == "accepted"


def step(page) -> str:
    return page.locator("#step-of").inner_text()


def test_finance_previews_a_payment_run_and_starts_it_by_keyboard(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    sign_in(page, live_server.url, "finance@example.org", totp=True)
    page.wait_for_url(lambda url: "/accounts/" not in url)  # signed in: the home page has loaded

    press_link_or_button(page, "Payment runs")
    assert h1(page) == "Payment runs"
    press_link_or_button(page, "Preview the payment run")
    preview = ReimbursementRun.objects.get(status="preview")
    assert h1(page) == f"Preview of payment run {preview.pk}"
    lines = sorted(preview.lines.values_list("claim_id", "kind", "amount"))
    claims = len({claim for claim, _, _ in lines})
    total = sum(amount for _, _, amount in lines)
    assert (claims, len(lines)) == (1, 2)  # the demo's one approved claim with a payee reference
    assert page.locator("#preview-summary").inner_text() == f"1 claim in 2 payments, £{total:.2f} in all."
    press_link_or_button(page, "Start this payment run")

    run = ReimbursementRun.objects.get(pk=preview.pk)
    assert (h1(page), run.status) == (f"Payment run {run.pk}", "completed")
    assert page.locator("#run-progress-heading").inner_text() == "Completed"
    assert page.locator("#run-count").inner_text() == "1 of 1 claim paid"
    assert sorted(run.payments.values_list("claim_id", "kind", "amount")) == lines
