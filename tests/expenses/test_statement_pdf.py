"""The tax-year statement as a printable PDF beside its CSV: it names the volunteer and each
university that paid them, fees and expenses apart, read back with pypdf."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from expenses.selectors import statement_payments
from expenses.views.own import statement_payers
from tests.conftest import World, signed_in
from tests.reports.factories import held, paid_claim, place, uk
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory
from volunteers.models import VolunteerProfile

D = datetime.date


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(uk(2026, 5, 2, 12), tick=False):
        yield


def text_of(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def volunteer(world: World) -> VolunteerProfile:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.user.name = "Siân O'Brien"
    profile.user.save()
    for university, owner, day, fee, expenses in [
        (world.university, world.coordinator, uk(2025, 5, 1), "50.00", "12.40"),
        (world.other_university, world.other_coordinator, uk(2025, 9, 1), "75.00", None),
        # Paid on Saturday 5 April 2025: the tax year before.
        (world.university, world.coordinator, uk(2025, 3, 20), "20.00", None),
    ]:
        module = ModuleFactory(programme=ProgrammeFactory(university=university))
        booking = place(held(module, owner, day, title=f"<b>Session</b> {day:%B}"), profile)
        paid_at = day + datetime.timedelta(days=16)
        paid_claim(booking, submitted_at=day, paid_at=paid_at, fee=fee, expenses=expenses)
    return profile


def test_statement_pdf_names_the_volunteer_and_each_payer(world: World, volunteer: VolunteerProfile):
    response = signed_in(world.volunteer).get(reverse("expenses:statement_pdf", kwargs={"year": 2025}))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="payments-2025-26.pdf"'
    text = text_of(response.content)
    assert "Statement of payments, tax year 2025/26" in text
    assert "Paid to Siân O'Brien Paid by University A; University B" in text
    assert "Tax year Sunday 6 April 2025 to Sunday 5 April 2026" in text
    assert "University A 50.00 12.40 62.40" in text
    assert "University B 75.00 0.00 75.00" in text
    assert "Total paid in the tax year 137.40" in text
    assert "<b>Session</b> May" in text
    assert "20.00" not in text


def test_statement_payers_sum_each_university(world: World, volunteer: VolunteerProfile):
    payments = list(statement_payments(volunteer, D(2025, 4, 6), D(2026, 4, 5)))

    assert statement_payers(payments) == [
        {"name": "University A", "fees": Decimal("50.00"), "expenses": Decimal("12.40"), "total": Decimal("62.40")},
        {"name": "University B", "fees": Decimal("75.00"), "expenses": Decimal("0.00"), "total": Decimal("75.00")},
    ]


def test_a_year_with_nothing_paid(world: World, volunteer: VolunteerProfile):
    response = signed_in(world.volunteer).get(reverse("expenses:statement_pdf", kwargs={"year": 2030}))

    text = text_of(response.content)
    assert "Paid by Nobody: nothing was paid in this tax year" in text
    assert "Nothing was paid to you in this tax year." in text


def test_an_impossible_year_is_missing(world: World):
    assert signed_in(world.volunteer).get(reverse("expenses:statement_pdf", kwargs={"year": 1999})).status_code == 404


def test_money_page_links_the_pdf_beside_the_csv(world: World, volunteer: VolunteerProfile):
    content = signed_in(world.volunteer).get(reverse("expenses:money")).content.decode()

    assert content.index('href="/money/statement/2025.pdf"') < content.index('href="/money/statement/2025.csv"')
