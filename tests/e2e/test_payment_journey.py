"""Money as a university really pays it, through the real pages: a demo volunteer without a payee
reference sees the fee on his invitation and accepts, claims after the session, is asked once for
Northbridge's payee form when the claim is approved; finance records his payee reference on the
payee set-up page, previews the run, starts it (the task runs at once in the tests), downloads both
routes' exports, and his remittance says which route pays what.

The preview and payee set-up pages are also looked at 390 and 320 pixels wide: nothing may need
scrolling sideways (screenshots at 1280 and 390 pixels are kept in the test's temporary folder).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from expenses import services
from expenses.models import Claim, PayeeReference, ReimbursementRun
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.services import invite_volunteers, mark_attendance
from tests.e2e.conftest import sign_in
from volunteers.models import VolunteerProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Living with breast cancer: a patient's year"
SEUN = "oluwaseun.adebayo@example.org"
REFERENCE = "SUP-004399"
PAYROLL = "through the university's payroll in the next pay run"
ACCOUNTS_PAYABLE = "by bank transfer from the university's accounts payable"


def new_page(page):
    other = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
    other.set_default_timeout(15_000)
    return other


def sent_to(email: str, subject: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [email] and message.subject == subject]


def look_at(page, folder: Path, name: str) -> None:
    """Screenshots at 1280 and 390 pixels wide; at 390 and 320 (WCAG's reflow) nothing may need
    scrolling sideways."""
    for width in (1280, 390, 320):
        page.set_viewport_size({"width": width, "height": 900})
        if width != 320:
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        if width < 1280:
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_fee_on_the_invitation_claim_payee_set_up_preview_run_exports_and_remittance(
    live_server, page, settings, tmp_path
):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    seun = VolunteerProfile.objects.select_related("user").get(user__email=SEUN)
    coordinator = User.objects.get(email="coordinator@example.org")
    assert PayeeReference.objects.filter(volunteer=seun).count() == 0
    # A two-hour teaching session at Northbridge in ten days (£25 an hour), Seun invited to it.
    module = (
        Module.objects.filter(code="RAD101", programme__university__slug="northbridge")
        .order_by("-programme__academic_year")
        .first()
    )
    day = timezone.localdate() + datetime.timedelta(days=10)
    session = TeachingSession.objects.create(
        module=module,
        title=TITLE,
        kind=TeachingSession.Kind.TEACHING,
        starts_at=london_datetime(day, datetime.time(10)),
        ends_at=london_datetime(day, datetime.time(12)),
        venue="Room 1.05, Allied Health Building, Northbridge campus",
        places=2,
        owner=coordinator,
        status=TeachingSession.Status.OPEN,
    )
    invite_volunteers(session=session, volunteers=[seun], actor=coordinator, agreed_with_volunteer=True)

    # 1. Seun opens the emailed invitation: it says what the session pays, and he accepts.
    [invitation] = sent_to(SEUN, f"Invitation: {TITLE}")
    assert "£50.00" in invitation.body
    [path] = re.findall(r"https?://[^/\s]+(/invitation/[^/\s]+/)", invitation.body)
    volunteer = new_page(page)
    volunteer.goto(f"{base}{path}")
    assert volunteer.locator("h1").inner_text() == f"Would you like to join “{TITLE}”?"
    covered = volunteer.locator("#covered-list li").all_inner_texts()
    assert covered[0] == "The fee for this session is £50.00 (£25.00 an hour for 2 hours), and your expenses are paid."
    volunteer.get_by_role("button", name="Yes, I'll come").click()
    assert volunteer.locator("#invitation-state").inner_text().startswith("You have accepted.")
    volunteer.context.close()

    # The session took place yesterday, and the coordinator marked him attended.
    booking = Booking.objects.get(session=session, volunteer=seun)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    TeachingSession.objects.filter(pk=session.pk).update(
        starts_at=london_datetime(yesterday, datetime.time(10)), ends_at=london_datetime(yesterday, datetime.time(12))
    )
    session.refresh_from_db()
    mark_attendance(session=session, actor=coordinator, outcomes={booking.pk: Booking.Status.ATTENDED})

    # 2. He claims his lunch and the fee from his money page.
    sign_in(page, base, SEUN, totp=False)
    page.get_by_role("link", name="Money", exact=True).click()
    page.locator("#to-claim").get_by_role("link", name=f"Start a claim for {TITLE}").click()
    page.get_by_role("button", name="Start my claim").click()
    page.get_by_role("button", name="Save and continue").click()  # no journey by car
    page.get_by_label("What was it for?").select_option(label="Food and drink")
    page.get_by_label("Amount (£)").fill("4.80")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Save and continue").click()  # the fee, as it was
    page.get_by_role("button", name="Send my claim").click()
    claim = Claim.objects.get(booking=booking)
    assert (claim.status, claim.fee_requested) == ("submitted", Decimal("50.00"))

    # The coordinator approves it; as Seun has no payee reference at Northbridge, he is asked once
    # for its payee form, with the link Northbridge set.
    services.approve_claim(claim=claim, actor=coordinator)
    [asked] = sent_to(SEUN, "One thing before University of Northbridge can pay you")
    assert "https://finance.northbridge.example/new-payee-form" in asked.body
    assert "We never ask for them on Involvement, and we never keep them." in asked.body

    # 3. Finance finds him on the payee set-up page and records his reference: a space is refused.
    finance = new_page(page)
    sign_in(finance, base, "finance@example.org", totp=True)
    finance.get_by_role("link", name="Finance set-up", exact=True).click()
    assert finance.locator("h1").inner_text() == "Finance set-up"
    finance.get_by_role("link", name="Payee set-up", exact=True).click()
    assert finance.locator("h1").inner_text() == "Payee set-up at University of Northbridge"
    row = finance.locator("#waiting tbody tr").filter(has_text="Oluwaseun Adebayo")
    assert row.locator('td[data-label="Claims waiting"]').inner_text() == "2 (2 approved)"
    look_at(finance, tmp_path, "payee-set-up")
    row.get_by_role("link", name="Record Oluwaseun Adebayo’s payee reference").click()
    assert finance.locator("h1").inner_text() == "Payee reference of Oluwaseun Adebayo"
    finance.get_by_label("Payee reference").fill("SUP 004399")
    finance.get_by_role("button", name="Save the payee reference").click()
    assert finance.locator("#id_reference_error").inner_text() == (
        "A payee reference has no spaces in it. Please enter it exactly as the finance system shows it, without spaces."
    )
    finance.get_by_label("Payee reference").fill(REFERENCE)
    finance.get_by_role("button", name="Save the payee reference").click()
    assert finance.locator("h1").inner_text() == "Payee set-up at University of Northbridge"
    assert finance.locator("#nobody-waiting").inner_text() == "Nobody is waiting for payee set-up."
    assert PayeeReference.objects.get(volunteer=seun).reference == REFERENCE

    # ...previews the run: each payment with its person, reference, route and codes...
    finance.get_by_role("link", name="Payment runs", exact=True).click()
    finance.get_by_role("button", name="Preview the payment run").click()
    preview = ReimbursementRun.objects.get(status="preview")
    assert finance.locator("h1").inner_text() == f"Preview of payment run {preview.pk}"
    lines = finance.locator("#lines tbody tr").filter(has_text=claim.reference)
    assert lines.count() == 2
    assert [cells[:2] + cells[4:] for cells in (lines.nth(n).locator("td").all_inner_texts() for n in range(2))] == [
        ["Oluwaseun Adebayo", REFERENCE, "Payroll", "RAD-4410", "5120", "£50.00"],
        ["Oluwaseun Adebayo", REFERENCE, "Accounts payable", "RAD-4410", "5120", "£4.80"],
    ]
    payroll_total = finance.locator("#total-payroll").inner_text()
    payable_total = finance.locator("#total-accounts_payable").inner_text()
    look_at(finance, tmp_path, "run-preview")

    # ...and starts it: it pays exactly the preview.
    finance.get_by_role("button", name="Start this payment run").click()
    run = ReimbursementRun.objects.get(pk=preview.pk)
    assert (run.status, finance.locator("#run-progress-heading").inner_text()) == ("completed", "Completed")
    assert sorted(run.payments.values_list("claim", "kind", "route", "payee_reference", "amount")) == sorted(
        (line.claim_id, line.kind, line.route, line.payee_reference, line.amount) for line in run.lines.all()
    )
    assert (
        finance.locator("#total-payroll").inner_text(),
        finance.locator("#total-accounts_payable").inner_text(),
    ) == (
        payroll_total,
        payable_total,
    )

    # 4. Both routes' exports download, and add up to the run's totals.
    with finance.expect_download() as payroll_download:
        finance.get_by_role("link", name="CSV of payroll").click()
    assert payroll_download.value.suggested_filename == f"payment-run-{run.pk}-payroll.csv"
    payroll_rows = list(csv.reader(io.StringIO(Path(payroll_download.value.path()).read_text("utf-8-sig"))))
    with finance.expect_download() as payable_download:
        finance.get_by_role("link", name="Spreadsheet (XLSX) of accounts payable").click()
    assert payable_download.value.suggested_filename == f"payment-run-{run.pk}-accounts-payable.xlsx"
    sheet = load_workbook(io.BytesIO(Path(payable_download.value.path()).read_bytes())).active
    payable_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert (
        payroll_rows[0]
        == payable_rows[0]
        == [
            "payment_key",
            "payee_reference",
            "payee_name",
            "amount",
            "cost_centre",
            "nominal_code",
            "description",
            "claim_reference",
        ]
    )
    assert [f"claim-{claim.pk}-fee", REFERENCE, "Oluwaseun Adebayo", "50.00"] in [row[:4] for row in payroll_rows]
    assert [f"claim-{claim.pk}-expenses", REFERENCE, "Oluwaseun Adebayo", 4.8] in [row[:4] for row in payable_rows]
    assert f"£{sum(Decimal(row[3]) for row in payroll_rows[1:]):.2f}" == payroll_total
    assert f"£{sum(Decimal(str(row[3])) for row in payable_rows[1:]):.2f}" == payable_total
    finance.context.close()

    # 5. Seun's remittance says how each part is paid, by the route recorded on the payment.
    [remittance] = [
        message
        for message in mail.outbox
        if message.to == [SEUN] and message.subject == f"On its way: your money for {TITLE}"
    ]
    assert f"Expenses: £4.80, {ACCOUNTS_PAYABLE}\nInvolvement fee: £50.00, {PAYROLL}\n" in remittance.body
    assert "bank account" not in remittance.body
