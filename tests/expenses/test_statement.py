"""paid_by_tax_year: what a volunteer was paid in each UK tax year (6 April to 5 April), fees and
expenses apart, summed in the database, newest year first."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from expenses.models import Claim, Payment, ReimbursementRun
from expenses.selectors import paid_by_tax_year
from tests import factories
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, attended_on
from volunteers.models import VolunteerProfile

D = Decimal
Kind = Payment.Kind


@pytest.fixture
def run(world: World) -> ReimbursementRun:
    return ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.COMPLETED)


def paid(
    world: World, run: ReimbursementRun, volunteer: VolunteerProfile, paid_on: datetime.date, **amounts: str
) -> Claim:
    """A paid claim with a payment of each kind given (``fee="50.00"``, ``expenses="12.40"``) on ``paid_on``."""
    booking = attended_on(world.university, world.coordinator, volunteer, paid_on - datetime.timedelta(days=14))
    claim = ClaimFactory(booking=booking, status=Claim.Status.PAID, paid_at=timezone.now())
    for kind, amount in amounts.items():
        Payment.objects.create(
            key=f"claim-{claim.pk}-{kind}",
            run=run,
            claim=claim,
            volunteer=volunteer,
            kind=kind,
            amount=D(amount),
            paid_on=paid_on,
        )
    return claim


def as_text(rows: list[dict[str, object]]) -> list[tuple[str, str, str, str, str, str]]:
    """Each row with its amounts written out, so pence are checked exactly ("50.00", not "50")."""
    return [
        (
            str(row["label"]),
            str(row["start"]),
            str(row["end"]),
            str(row["fees"]),
            str(row["expenses"]),
            str(row["total"]),
        )
        for row in rows
    ]


def test_paid_by_tax_year_splits_on_5_and_6_april(world, run):
    volunteer = world.volunteer.volunteer_profile
    paid(world, run, volunteer, datetime.date(2025, 4, 5), fee="50.00", expenses="12.40")
    paid(world, run, volunteer, datetime.date(2025, 4, 6), fee="25.00", expenses="3.10")

    rows = paid_by_tax_year(volunteer)

    assert as_text(rows) == [
        ("2025/26", "2025-04-06", "2026-04-05", "25.00", "3.10", "28.10"),
        ("2024/25", "2024-04-06", "2025-04-05", "50.00", "12.40", "62.40"),
    ]
    assert all(isinstance(row[key], Decimal) for row in rows for key in ("fees", "expenses", "total"))


def test_paid_by_tax_year_sums_every_payment_of_the_year(world, run):
    volunteer = world.volunteer.volunteer_profile
    paid(world, run, volunteer, datetime.date(2025, 4, 6), fee="50.00", expenses="0.10")
    paid(world, run, volunteer, datetime.date(2025, 12, 31), fee="75.00", expenses="0.20")
    paid(world, run, volunteer, datetime.date(2026, 1, 1), expenses="19.70")
    paid(world, run, volunteer, datetime.date(2026, 4, 5), fee="12.50")
    paid(world, run, volunteer, datetime.date(2023, 6, 1), expenses="7.00")

    assert as_text(paid_by_tax_year(volunteer)) == [
        ("2025/26", "2025-04-06", "2026-04-05", "137.50", "20.00", "157.50"),
        ("2023/24", "2023-04-06", "2024-04-05", "0.00", "7.00", "7.00"),
    ]


def test_paid_by_tax_year_a_year_of_fees_only_shows_no_expenses(world, run):
    volunteer = world.volunteer.volunteer_profile
    paid(world, run, volunteer, datetime.date(2024, 1, 15), fee="40.00")

    assert as_text(paid_by_tax_year(volunteer)) == [
        ("2023/24", "2023-04-06", "2024-04-05", "40.00", "0.00", "40.00"),
    ]


def test_paid_by_tax_year_counts_only_this_volunteer(world, run):
    volunteer = world.volunteer.volunteer_profile
    someone_else = factories.VolunteerProfileFactory()
    paid(world, run, volunteer, datetime.date(2025, 5, 1), fee="50.00")
    paid(world, run, someone_else, datetime.date(2025, 5, 1), fee="999.00", expenses="99.00")

    assert as_text(paid_by_tax_year(volunteer)) == [
        ("2025/26", "2025-04-06", "2026-04-05", "50.00", "0.00", "50.00"),
    ]
    assert paid_by_tax_year(factories.VolunteerProfileFactory()) == []


@pytest.mark.parametrize("years", [1, 3])
def test_paid_by_tax_year_is_one_query(world, run, django_assert_num_queries, years):
    volunteer = world.volunteer.volunteer_profile
    for year in range(years):
        paid(world, run, volunteer, datetime.date(2021 + year, 4, 6), fee="10.00", expenses="1.00")

    with django_assert_num_queries(1):
        rows = paid_by_tax_year(volunteer)

    assert [row["label"] for row in rows] == ["2023/24", "2022/23", "2021/22"][-years:]
