"""The payment runs' pages, through django.test.Client: the runs and what is waiting, previewing
the next run, a preview's page (what it will pay, what is held back, starting it), a run's
progress, what it paid by route, and each route's exports (CSV and XLSX).

The clock stands at Friday 20 November 2026, 09:00 UK time.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import load_workbook

from expenses import permissions, services
from expenses.models import Claim, ClaimItem, Payment, ProgrammeBudget, ReimbursementRun
from expenses.views import finance
from involvement.periods import academic_year_start
from sessions_app.clock import LONDON
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, table_rows, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, ClaimItemFactory, attended_booking, payee, rate_card_for
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
RUNS_URL = "/runs/"
PREVIEW_URL = "/runs/preview/"
ClaimStatus = Claim.Status
RunStatus = ReimbursementRun.Status
AP = "by bank transfer from the university's accounts payable"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def card(world: World) -> None:
    rate_card_for(world.university)


# Arranging


def approved_claim(
    world: World,
    *,
    volunteer: VolunteerProfile | None = None,
    days_ago: int = 3,
    amount: str = "6.50",
    fee: str = "50.00",
    with_payee: bool = True,
) -> Claim:
    """An approved claim of University A for a session ``days_ago`` days ago: one expense and a
    fee; its volunteer has a payee reference there unless ``with_payee`` is False."""
    volunteer = volunteer or factories.VolunteerProfileFactory()
    if with_payee:
        payee(volunteer, world.university)
    booking = attended_booking(world.university, world.coordinator, volunteer, days_ago=days_ago)
    claim = ClaimFactory(
        booking=booking,
        status=ClaimStatus.APPROVED,
        fee_due=Decimal(fee),
        fee_requested=Decimal(fee),
        submitted_at=booking.session.ends_at,
        decided_by=world.coordinator,
    )
    if Decimal(amount):
        ClaimItemFactory(claim=claim, amount=Decimal(amount))
    return claim


def preview(world: World) -> ReimbursementRun:
    return services.preview_run(organisation=world.university, actor=world.finance)


def completed_run(world: World, claims: int = 2) -> ReimbursementRun:
    """A run of University A that paid ``claims`` claims (£6.50 expenses and a £50.00 fee each)."""
    for number in range(claims):
        approved_claim(world, days_ago=3 + number)
    run = services.start_run(run=preview(world), actor=world.finance)
    return services.execute_run(run_id=run.pk)


def run_url(run: ReimbursementRun) -> str:
    return f"/runs/{run.pk}/"


def start_url(run: ReimbursementRun) -> str:
    return f"/runs/{run.pk}/start/"


def export_url(run: ReimbursementRun, route: str, extension: str = "csv") -> str:
    return f"/runs/{run.pk}/export/{route}.{extension}"


def flashed(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def rows_of(response: HttpResponse, table_id: str) -> list[list[str]]:
    [table] = find(response, "table", id=table_id)
    [body] = find(table, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


def route_totals(response: HttpResponse) -> list[list[str]]:
    [table] = find(response, "table", id="route-totals")
    [body] = find(table, "tbody")
    return [texts(row, "th") + texts(row, "td") for row in find(body, "tr")]


# The runs


def test_runs_show_the_started_runs_and_what_is_waiting(world: World) -> None:
    finished = completed_run(world, claims=2)
    approved_claim(world, days_ago=10, amount="7.40", fee="25.00")
    approved_claim(world, days_ago=11, amount="12.00", fee="0.00")
    approved_claim(world, days_ago=12, amount="1.00", fee="0.00", with_payee=False)
    preview(world)  # a preview is not a run yet

    response = signed_in(world.finance).get(RUNS_URL)

    assert (response.status_code, h1(response)) == (200, "Payment runs")
    assert texts(response, "p", class_="waiting") == ["3 approved claims, £45.40 in all."]
    # (text_of puts a space between the link and the full stop after it)
    assert texts(response, "p", class_="held") == ["2 ready to pay (£44.40); 1 waiting for payee set-up ."]
    assert texts(response, "button", type="submit")[-1] == "Preview the payment run"
    assert table_rows(response) == [
        [
            f"Run {finished.pk}",
            "Friday 20 November 2026, 09:00",
            str(world.finance),
            "Completed",
            "2 of 2",
            "Friday 20 November 2026, 09:00",
        ]
    ]


def test_runs_say_why_no_run_can_be_previewed_while_one_is_in_progress(world: World) -> None:
    approved_claim(world)
    services.start_run(run=preview(world), actor=world.finance)
    approved_claim(world)

    response = signed_in(world.finance).get(RUNS_URL)

    assert texts(response, "p", id=f"cannot-start-{world.university.pk}") == [
        "A run is already in progress. Please wait for it to finish."
    ]
    assert find(response, "form", action=PREVIEW_URL) == []


def test_runs_say_why_nothing_can_be_previewed_while_everyone_waits_for_payee_set_up(world: World) -> None:
    approved_claim(world, with_payee=False)

    response = signed_in(world.finance).get(RUNS_URL)

    assert texts(response, "p", id=f"cannot-start-{world.university.pk}") == [permissions.nothing_ready(1)]
    assert find(response, "form", action=PREVIEW_URL) == []


def test_runs_say_when_nothing_is_waiting(world: World) -> None:
    response = signed_in(world.finance).get(RUNS_URL)

    assert texts(response, "p", class_="waiting") == ["No approved claims are waiting to be paid."]
    assert find(response, "form", action=PREVIEW_URL) == []
    assert texts(response, "p", id="no-runs") == ["There have been no payment runs yet."]


@pytest.mark.parametrize("count", [1, 3])
def test_runs_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for _number in range(count):
        completed_run(world, claims=1)
        approved_claim(world)
    client = signed_in(world.finance)

    # What waits at each university is one query (the items summed per claim, not joined).
    with django_assert_num_queries(10):
        response = client.get(RUNS_URL)

    assert len(table_rows(response)) == count


# Previewing


def test_preview_makes_a_preview_and_shows_it(world: World) -> None:
    approved_claim(world)

    response = signed_in(world.finance).post(PREVIEW_URL, {"organisation": world.university.pk})

    run = ReimbursementRun.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/runs/{run.pk}/")
    assert flashed(response) == ["Here is what the run will pay. Nothing has been paid yet."]
    assert (run.status, run.previewed_by, Payment.objects.count()) == (RunStatus.PREVIEW, world.finance, 0)


def test_preview_with_nothing_to_pay_says_so(world: World) -> None:
    response = signed_in(world.finance).post(PREVIEW_URL, {"organisation": world.university.pk}, follow=True)

    assert messages_on(response) == ["There are no approved claims waiting to be paid."]
    assert (h1(response), ReimbursementRun.objects.count()) == ("Payment runs", 0)


def test_preview_for_another_university_makes_nothing(world: World) -> None:
    approved_claim(world)

    response = signed_in(world.finance).post(PREVIEW_URL, {"organisation": world.other_university.pk}, follow=True)

    assert messages_on(response) == ["Please choose one of your universities."]
    assert ReimbursementRun.objects.count() == 0


def test_preview_and_start_only_take_a_post(world: World) -> None:
    approved_claim(world)
    run = preview(world)
    client = signed_in(world.finance)

    assert (client.get(PREVIEW_URL).status_code, client.get(start_url(run)).status_code) == (405, 405)


# A preview's page


def test_preview_page_shows_each_payment_by_route_and_what_is_held_back(world: World) -> None:
    sian = VolunteerProfile.objects.get(user=world.volunteer)
    ready = approved_claim(world, volunteer=sian, amount="6.50", fee="50.00")
    reference = payee(sian, world.university).reference
    waiting = approved_claim(world, amount="3.00", fee="0.00", with_payee=False)
    returned = ClaimFactory(
        booking=attended_booking(world.university, world.coordinator, factories.VolunteerProfileFactory()),
        status=ClaimStatus.RETURNED,
        submitted_at=NOW,
    )
    run = preview(world)
    title = ready.booking.session.title

    response = signed_in(world.finance).get(run_url(run))

    assert (response.status_code, h1(response)) == (200, f"Preview of payment run {run.pk}")
    assert texts(response, "p", id="preview-summary") == ["1 claim in 2 payments, £56.50 in all."]
    assert route_totals(response) == [["Payroll", "1", "£50.00"], ["Accounts payable", "1", "£6.50"]]
    assert texts(response, "td", id="run-total") == ["£56.50"]
    assert rows_of(response, "lines") == [
        [
            world.volunteer.name,
            reference,
            ready.reference,
            f"Involvement fee: {title}",
            "Payroll",
            "None",
            "None",
            "£50.00",
        ],
        [
            world.volunteer.name,
            reference,
            ready.reference,
            f"Expenses: {title}",
            "Accounts payable",
            "None",
            "None",
            "£6.50",
        ],
    ]
    assert [row[1] for row in rows_of(response, "held-no-payee-claims")] == [
        f"{waiting.reference} : {waiting.booking.session.title}"
    ]
    assert [row[1] for row in rows_of(response, "held-returned-claims")] == [
        f"{returned.reference} : {returned.booking.session.title}"
    ]
    assert find(response, "a", href=f"/finance/university-a/payees/{waiting.volunteer_id}/") != []
    assert texts(response, "button", type="submit")[-1] == "Start this payment run"
    assert find(response, "form", action=start_url(run)) != []


def test_preview_page_of_a_stale_preview_says_so_and_offers_to_preview_again(world: World) -> None:
    approved_claim(world)
    older = preview(world)
    services.execute_run(run_id=services.start_run(run=preview(world), actor=world.finance).pk)

    response = signed_in(world.finance).get(run_url(older))

    assert texts(response, "div", id="start-refusal") == [permissions.STALE_PREVIEW]
    assert find(response, "form", action=start_url(older)) == []
    assert texts(response, "button", type="submit")[-1] == "Preview again"


@pytest.mark.parametrize("count", [1, 3])
def test_preview_page_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for _number in range(count):
        approved_claim(world)
        approved_claim(world, with_payee=False)
        waiting = approved_claim(world)
        Claim.objects.filter(pk=waiting.pk).update(status=Claim.Status.SUBMITTED)
        session = waiting.booking.session
        ProgrammeBudget.objects.create(
            programme_id=session.module.programme_id,
            academic_year=academic_year_start(timezone.localdate(session.starts_at)),
            amount=Decimal("10.00"),
        )
        returned = approved_claim(world)
        Claim.objects.filter(pk=returned.pk).update(status=Claim.Status.RETURNED)
    run = preview(world)
    for _number in range(count):
        approved_claim(world)  # ready since the preview was made
    client = signed_in(world.finance)

    # Every part of the page has rows. The run's state (1), whether its preview has changed (2),
    # its lines' totals and page (2), what is held back: counted (1), the rows of each kind (3),
    # and those over budget (the keys with a budget, the positions, the rows: 3; a count besides
    # when there are more than the page shows).
    with django_assert_num_queries(19):
        response = client.get(run_url(run))

    assert len(rows_of(response, "lines")) == 2 * count
    assert len(rows_of(response, "held-no-payee-claims")) == count
    assert len(rows_of(response, "held-since-claims")) == count
    assert len(rows_of(response, "held-returned-claims")) == count
    assert len(rows_of(response, "held-over-budget-claims")) == count


def test_preview_page_shows_fifty_payments_a_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finance, "PAGE_SIZE", 3)
    for _number in range(2):
        approved_claim(world)
    run = preview(world)

    first = signed_in(world.finance).get(run_url(run))
    second = signed_in(world.finance).get(run_url(run), {"page": "2"})

    assert (len(rows_of(first, "lines")), len(rows_of(second, "lines"))) == (3, 1)
    assert texts(first, "td", id="run-total") == texts(second, "td", id="run-total") == ["£113.00"]


def test_preview_page_of_another_university_is_not_found(world: World) -> None:
    approved_claim(world)
    run = preview(world)

    assert signed_in(world.other_finance).get(run_url(run)).status_code == 404


# Starting


def test_start_pays_exactly_the_preview_and_shows_the_run(world: World, django_capture_on_commit_callbacks) -> None:
    claims = [approved_claim(world, days_ago=3), approved_claim(world, days_ago=4)]
    run = preview(world)
    late = approved_claim(world, days_ago=5)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.finance).post(start_url(run))

    run.refresh_from_db()
    late.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, run_url(run))
    assert flashed(response) == ["The payment run has started. This page shows how it is going."]
    assert (run.status, run.started_by, run.claims_done, run.claims_total) == (RunStatus.COMPLETED, world.finance, 2, 2)
    assert sorted(Payment.objects.values_list("claim", flat=True)) == sorted(2 * [claim.pk for claim in claims])
    assert late.status == ClaimStatus.APPROVED


def test_start_a_second_time_says_so_and_pays_nothing_twice(world: World, django_capture_on_commit_callbacks) -> None:
    approved_claim(world)
    run = preview(world)
    client = signed_in(world.finance)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(start_url(run), follow=True)

    response = client.post(start_url(run), follow=True)

    assert messages_on(response) == [permissions.ALREADY_STARTED]
    assert (h1(response), Payment.objects.count()) == (f"Payment run {run.pk}", 2)


def test_start_of_another_universitys_preview_is_not_found(world: World) -> None:
    approved_claim(world)
    run = preview(world)

    response = signed_in(world.other_finance).post(start_url(run))

    run.refresh_from_db()
    assert (response.status_code, run.status) == (404, RunStatus.PREVIEW)


# A run's page


def test_run_page_shows_what_was_paid_by_route_with_totals_and_exports(world: World) -> None:
    run = completed_run(world, claims=2)
    claims = list(Claim.objects.order_by("pk"))

    response = signed_in(world.finance).get(run_url(run))

    assert (response.status_code, h1(response)) == (200, f"Payment run {run.pk}")
    assert texts(response, "h2")[:2] == ["Completed", "Paid by route"]
    assert texts(response, "p", id="run-count") == ["2 of 2 claims paid"]
    assert route_totals(response) == [
        ["Payroll", "2", "£100.00", "CSV of payroll · Spreadsheet (XLSX) of payroll"],
        ["Accounts payable", "2", "£13.00", "CSV of accounts payable · Spreadsheet (XLSX) of accounts payable"],
    ]
    assert texts(response, "td", id="run-total") == ["£113.00"]
    assert [row[:5] for row in rows_of(response, "payments")] == [
        [
            f"claim-{claims[0].pk}-fee",
            claims[0].volunteer.user.name,
            payee(claims[0].volunteer, world.university).reference,
            "Involvement fee",
            "Payroll",
        ],
        [
            f"claim-{claims[1].pk}-fee",
            claims[1].volunteer.user.name,
            payee(claims[1].volunteer, world.university).reference,
            "Involvement fee",
            "Payroll",
        ],
        [
            f"claim-{claims[0].pk}-expenses",
            claims[0].volunteer.user.name,
            payee(claims[0].volunteer, world.university).reference,
            "Expenses",
            "Accounts payable",
        ],
        [
            f"claim-{claims[1].pk}-expenses",
            claims[1].volunteer.user.name,
            payee(claims[1].volunteer, world.university).reference,
            "Expenses",
            "Accounts payable",
        ],
    ]
    for route in ("payroll", "accounts_payable"):
        for extension in ("csv", "xlsx"):
            assert find(response, "a", href=export_url(run, route, extension)) != []
    assert find(response, "section", id="run-progress", hx_get=None) == []


def test_run_page_total_counts_every_item(world: World) -> None:
    claim = approved_claim(world)
    ClaimItemFactory(claim=claim, kind=ClaimItem.Kind.PARKING, amount=Decimal("4.20"))
    run = services.execute_run(run_id=services.start_run(run=preview(world), actor=world.finance).pk)

    response = signed_in(world.finance).get(run_url(run))

    assert [(row[3], row[7]) for row in rows_of(response, "payments")] == [
        ("Involvement fee", "£50.00"),
        ("Expenses", "£10.70"),
    ]
    assert texts(response, "td", id="run-total") == ["£60.70"]


def test_run_page_while_running_polls_for_its_progress(world: World) -> None:
    run = ReimbursementRun.objects.create(
        organisation=world.university, status=RunStatus.RUNNING, started_at=NOW, claims_total=30, claims_done=12
    )

    response = signed_in(world.finance).get(run_url(run))

    [progress] = find(response, "section", id="run-progress")
    attributes = dict(progress.attributes)
    assert (attributes["hx-get"], attributes["hx-trigger"], attributes["hx-swap"]) == (
        run_url(run),
        "every 3s",
        "outerHTML",
    )
    assert texts(response, "p", id="run-count") == ["12 of 30 claims paid"]
    assert texts(progress, "a") == ["Refresh"]
    assert (find(response, "table"), find(response, "a", href=export_url(run, "payroll"))) == ([], [])


def test_run_page_asked_by_htmx_sends_only_the_progress(world: World) -> None:
    run = ReimbursementRun.objects.create(
        organisation=world.university, status=RunStatus.QUEUED, started_at=NOW, claims_total=3
    )

    response = signed_in(world.finance).get(run_url(run), headers={"HX-Request": "true"})

    assert (response.status_code, sorted(response["Vary"].split(", "))) == (
        200,
        ["Accept-Language", "Cookie", "HX-Request"],
    )
    assert response.content.decode().lstrip().startswith('<section id="run-progress"')
    assert (texts(response, "h1"), texts(response, "h2")) == ([], ["Waiting to start"])


def test_run_page_of_another_university_is_not_found(world: World) -> None:
    run = completed_run(world, claims=1)

    assert signed_in(world.other_finance).get(run_url(run)).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_run_page_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    run = completed_run(world, claims=count)
    client = signed_in(world.finance)

    # The payments are counted with their totals by route, not again for the pages.
    with django_assert_num_queries(9):
        response = client.get(run_url(run))

    assert len(rows_of(response, "payments")) == 2 * count


def test_run_page_lists_fifty_payments_a_page_with_totals_of_the_whole_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finance, "PAGE_SIZE", 3)
    run = completed_run(world, claims=2)

    second = signed_in(world.finance).get(run_url(run), {"page": "2"})

    assert len(rows_of(second, "payments")) == 1
    assert texts(second, "td", id="run-total") == ["£113.00"]


# The exports


def test_run_exports_download_each_route_as_csv_and_xlsx(world: World) -> None:
    run = completed_run(world, claims=1)
    claim = Claim.objects.get()
    reference = payee(claim.volunteer, world.university).reference
    client = signed_in(world.finance)

    payroll = client.get(export_url(run, "payroll"))
    accounts_payable = client.get(export_url(run, "accounts_payable", "xlsx"))

    assert (payroll.status_code, payroll["Content-Type"], payroll["Content-Disposition"]) == (
        200,
        "text/csv; charset=utf-8",
        f'attachment; filename="payment-run-{run.pk}-payroll.csv"',
    )
    assert list(csv.reader(io.StringIO(payroll.content.decode("utf-8-sig")))) == [
        [
            "payment_key",
            "payee_reference",
            "payee_name",
            "amount",
            "cost_centre",
            "nominal_code",
            "description",
            "claim_reference",
        ],
        [
            f"claim-{claim.pk}-fee",
            reference,
            claim.volunteer.user.name,
            "50.00",
            "",
            "",
            f"Involvement fee: {claim.booking.session.title}",
            claim.reference,
        ],
    ]
    assert (
        accounts_payable["Content-Disposition"] == f'attachment; filename="payment-run-{run.pk}-accounts-payable.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(accounts_payable.content)).active
    assert [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        [
            f"claim-{claim.pk}-expenses",
            reference,
            claim.volunteer.user.name,
            6.5,
            None,
            None,
            f"Expenses: {claim.booking.session.title}",
            claim.reference,
        ]
    ]
    assert "no-store" in payroll["Cache-Control"]


@pytest.mark.parametrize("status", [RunStatus.PREVIEW, RunStatus.QUEUED, RunStatus.RUNNING])
def test_run_export_of_a_run_not_finished_is_not_found(world: World, status: str) -> None:
    run = ReimbursementRun.objects.create(organisation=world.university, status=status, started_at=NOW)

    assert signed_in(world.finance).get(export_url(run, "payroll")).status_code == 404


def test_run_export_of_another_route_is_not_found(world: World) -> None:
    run = completed_run(world, claims=1)

    assert signed_in(world.finance).get(export_url(run, "petty_cash")).status_code == 404


def test_run_export_is_not_for_finance_of_another_university(world: World) -> None:
    run = completed_run(world, claims=1)

    response = signed_in(world.other_finance).get(export_url(run, "payroll"))

    assert (response.status_code, Payment.objects.count()) == (404, 2)


def test_run_export_is_not_for_coordinators(world: World) -> None:
    run = completed_run(world, claims=1)

    assert signed_in(world.coordinator).get(export_url(run, "accounts_payable", "xlsx")).status_code == 403


def remittance_lines(claim: Claim) -> Any:
    from involvement.models import Notification

    return Notification.objects.get(template_key="expenses/remittance", unique_key=f"remittance:{claim.pk}").context[
        "lines"
    ]


def test_a_run_through_the_pages_sends_remittances_naming_each_route(
    world: World, django_capture_on_commit_callbacks
) -> None:
    claim = approved_claim(world, amount="6.50", fee="50.00")
    run = preview(world)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in(world.finance).post(start_url(run))

    assert remittance_lines(claim) == [
        ["Expenses", "6.50", AP],
        ["Involvement fee", "50.00", "through the university's payroll in the next pay run"],
    ]
