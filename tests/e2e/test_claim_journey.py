"""A claim's journey through the real pages: the demo volunteer claims a bus fare with a photo of
the ticket for a session she attended, through the claim form's steps (no journey by car, other
costs, the fee, check and send), the coordinator approves it from the queue, finance previews the
payment run and starts it (the task runs at once in the tests) and sees it completed, and the
volunteer sees her claim paid. The payment journey with payee set-up and both exports is
test_payment_journey.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from PIL import Image, ImageDraw

from expenses.models import Claim, Payment, ReimbursementRun
from expenses.selectors import volunteers_claimable_bookings
from involvement.models import Notification
from tests.e2e.conftest import sign_in
from volunteers.models import VolunteerProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def new_page(page):
    """A page in a browser of its own (nobody signed in)."""
    other = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
    other.set_default_timeout(15_000)
    return other


def bus_ticket(path) -> str:
    image = Image.new("RGB", (240, 120), "white")
    ImageDraw.Draw(image).multiline_text((12, 12), "Northbridge Buses\nDay return  GBP 7.40", fill="black")
    image.save(path, format="PNG")
    return str(path)


def test_volunteer_claims_coordinator_approves_finance_pays_and_volunteer_sees_paid(
    live_server, page, settings, tmp_path
):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    sian = VolunteerProfile.objects.select_related("user").get(user__email="volunteer@example.org")
    # The demo gives Siân an admissions interview day she attended and has not claimed for yet.
    [booking] = volunteers_claimable_bookings(sian)
    title = booking.session.title
    receipt = bus_ticket(tmp_path / "bus-ticket.png")

    # Siân starts a claim for the session from her money page...
    sign_in(page, base, sian.user.email, totp=False)
    page.get_by_role("link", name="Money", exact=True).click()
    assert page.locator("h1").inner_text() == "Money"
    page.locator("#to-claim").get_by_role("link", name=f"Start a claim for {title}").click()
    assert page.locator("h1").inner_text() == f"Start a claim for “{title}”"
    page.get_by_role("button", name="Start my claim").click()
    claim = Claim.objects.get(booking=booking)

    # ...goes through the steps: no journey by car (she took the bus), so on to other costs...
    assert page.locator("h1").inner_text() == "Your journey"
    assert page.locator("#step-of").inner_text() == "Step 1 of 4"
    page.get_by_role("button", name="Save and continue").click()

    # ...where she adds her bus fare with a photo of the ticket...
    assert (page.locator("h1").inner_text(), page.locator("#step-of").inner_text()) == ("Other costs", "Step 2 of 4")
    page.get_by_label("What was it for?").select_option(label="Public transport")
    page.get_by_label("Amount (£)").fill("7.40")
    page.get_by_label("Description").fill("Bus both ways")
    page.get_by_label("Receipt").set_input_files(receipt)
    page.get_by_role("button", name="Save and continue").click()
    [item] = claim.items.all()
    assert (item.kind, item.amount, item.note, item.receipt.content_type) == (
        "public_transport",
        Decimal("7.40"),
        "Bus both ways",
        "image/png",
    )

    # ...keeps the fee for the three hours...
    assert page.locator("h1").inner_text() == "Your fee"
    assert page.get_by_label("Take the fee").is_checked()
    page.get_by_role("button", name="Save and continue").click()

    # ...checks it all and sends it.
    assert page.locator("h1").inner_text() == "Check your claim and send it"
    assert page.locator("#check-costs tbody tr").count() == 1
    assert page.locator("#claim-totals dd").all_inner_texts() == ["£7.40", "£75.00", "£82.40"]
    page.get_by_role("button", name="Send my claim").click()
    claim.refresh_from_db()
    assert (claim.status, claim.fee_requested) == ("submitted", Decimal("75.00"))
    assert page.locator("#claim-status").inner_text() == "Where it is: Sent, waiting for approval"

    # The coordinator finds it in the queue and approves it.
    coordinator = new_page(page)
    sign_in(coordinator, base, "coordinator@example.org", totp=True)
    coordinator.get_by_role("link", name="Claims", exact=True).click()
    assert coordinator.locator("h1").inner_text() == "Claims"
    coordinator.locator("#claims").get_by_role("link", name=claim.reference).click()
    assert coordinator.locator("h1").inner_text() == f"Claim {claim.reference} from Siân"
    coordinator.get_by_role("button", name="Approve the claim").click()
    assert coordinator.locator("h1").inner_text() == "Claims"
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by.email) == ("approved", "coordinator@example.org")
    coordinator.context.close()

    # Finance previews the payment run and starts it; it pays the approved claims of volunteers
    # with a payee reference, Siân's among them (Oluwaseun's waits for his payee set-up).
    finance = new_page(page)
    sign_in(finance, base, "finance@example.org", totp=True)
    finance.get_by_role("link", name="Payment runs", exact=True).click()
    assert finance.locator("h1").inner_text() == "Payment runs"
    assert finance.locator("p.waiting").inner_text() == "3 approved claims, £266.30 in all."
    assert finance.locator("p.held").inner_text() == "2 ready to pay (£183.40); 1 waiting for payee set-up."
    finance.get_by_role("button", name="Preview the payment run").click()
    preview = ReimbursementRun.objects.get(status="preview")
    assert finance.locator("h1").inner_text() == f"Preview of payment run {preview.pk}"
    assert finance.locator("#preview-summary").inner_text() == "2 claims in 4 payments, £183.40 in all."
    finance.get_by_role("button", name="Start this payment run").click()
    run = ReimbursementRun.objects.filter(status="completed").latest("pk")
    assert run.pk == preview.pk
    assert finance.locator("h1").inner_text() == f"Payment run {run.pk}"
    assert finance.locator("#run-progress-heading").inner_text() == "Completed"
    assert finance.locator("#run-count").inner_text() == "2 of 2 claims paid"
    keys = [f"claim-{claim.pk}-expenses", f"claim-{claim.pk}-fee"]
    for key in keys:
        assert finance.locator("#payments").get_by_role("cell", name=key, exact=True).count() == 1
    assert sorted(Payment.objects.filter(claim=claim).values_list("key", "amount")) == [
        (keys[0], Decimal("7.40")),
        (keys[1], Decimal("75.00")),
    ]
    with finance.expect_download() as download:
        finance.get_by_role("link", name="CSV of payroll").click()
    assert download.value.suggested_filename == f"payment-run-{run.pk}-payroll.csv"
    finance.context.close()

    # Siân sees the claim paid on her money page.
    page.goto(f"{base}/money/")
    row = page.locator("#claims tbody tr").filter(has=page.locator(f'a[href="/money/claims/{claim.pk}/"]'))
    assert row.locator('td[data-label="Where it is"]').inner_text() == "Paid"
    claim.refresh_from_db()
    assert claim.status == "paid"
    assert Notification.objects.filter(template_key="expenses/remittance", recipient=sian.user).count() == 1
