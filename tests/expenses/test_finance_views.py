"""Finance pages: rate cards (the list and a new card) and reimbursement runs (the list, starting
one, a run's progress and payments, the export), through django.test.Client.

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

from accounts.models import Membership
from expenses.models import Claim, ClaimItem, FeeRate, Payment, RateCard, ReimbursementRun
from expenses.services import execute_run
from sessions_app.clock import LONDON
from tests import factories
from tests.accounts.test_views import field_error, find, h1, messages_on, table_rows, text_of, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, ClaimItemFactory, attended_booking, rate_card_for
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
RATE_CARDS_URL = "/rate-cards/"
NEW_CARD_URL = "/rate-cards/new/"
RUNS_URL = "/runs/"
START_URL = "/runs/start/"
ClaimStatus = Claim.Status
RunStatus = ReimbursementRun.Status


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def profile_of(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


def approved_claim(world: World, *, days_ago: int = 3, amount: str = "6.50", fee: str = "50.00") -> Claim:
    """An approved claim of University A for a session ``days_ago`` days ago: one expense and a fee."""
    booking = attended_booking(world.university, world.coordinator, profile_of(world), days_ago=days_ago)
    claim = ClaimFactory(
        booking=booking,
        status=ClaimStatus.APPROVED,
        fee_due=Decimal(fee),
        fee_requested=Decimal(fee),
        decided_by=world.coordinator,
    )
    ClaimItemFactory(claim=claim, amount=Decimal(amount))
    return claim


def a_run(world: World, **fields: Any) -> ReimbursementRun:
    fields.setdefault("organisation", world.university)
    fields.setdefault("started_by", world.finance)
    return ReimbursementRun.objects.create(**fields)


def completed_run(world: World, claims: int = 2) -> ReimbursementRun:
    """A run of University A that paid ``claims`` claims (£6.50 expenses and a £50.00 fee each)."""
    for number in range(claims):
        approved_claim(world, days_ago=3 + number)
    run = a_run(world, claims_total=claims)
    return execute_run(run_id=run.pk)


def card_data(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "organisation": world.university.pk,
        "effective_from": "2027-04-06",
        "car_rate": "0.45",
        "car_threshold_miles": "10000",
        "car_rate_after_threshold": "0.25",
        "motorcycle_rate": "0.24",
        "bicycle_rate": "0.20",
        "subsistence_cap": "15.00",
        "receipts_required_for": ["public_transport", "parking"],
        "claim_window_months": "3",
        "item_ceiling": "500.00",
        "approval_target_days": "10",
        "fee_teaching": "27.50",
        "basis_teaching": "per_hour",
        "fee_assessment": "80",
        "basis_assessment": "per_session",
    }
    for kind in ("simulated_patient", "recruitment", "curriculum", "review", "other"):
        data[f"fee_{kind}"] = ""
        data[f"basis_{kind}"] = "per_hour"
    data.update(changes)
    return data


# Reading pages


def flashed(response: HttpResponse) -> list[str]:
    """The messages waiting for the next page after a redirect."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def card_headings(response: HttpResponse) -> list[str]:
    return texts(response, "h3")


def definitions(response: HttpResponse, card: RateCard) -> list[tuple[str, str]]:
    [section] = find(response, "section", aria_labelledby=f"card-{card.pk}")
    return list(zip(texts(section, "dt"), texts(section, "dd"), strict=True))


def fees_of(response: HttpResponse, card: RateCard) -> list[list[str]]:
    [section] = find(response, "section", aria_labelledby=f"card-{card.pk}")
    [body] = find(section, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


# The rate cards


def test_rate_cards_show_each_card_with_its_rates_receipts_and_fees(world: World) -> None:
    card = rate_card_for(world.university)

    response = signed_in(world.finance).get(RATE_CARDS_URL)

    assert response.status_code == 200
    assert h1(response) == "Rate cards"
    assert texts(response, "h2") == ["University A"]
    assert card_headings(response) == ["From 6 April 2024 In force"]
    assert definitions(response, card) == [
        (
            "Car or van",
            "£0.45 a mile for the first 10,000 miles of each volunteer’s tax year, then £0.25 a mile",
        ),
        ("Motorcycle", "£0.24 a mile"),
        ("Bicycle", "£0.20 a mile"),
        ("Food and drink", "Up to £15.00 for a session"),
        (
            "Receipts needed for",
            "Public transport, Taxi (agreed in advance), Parking, Replacement carer or childcare, "
            "Support worker, Other",
        ),
        ("Time to claim", "3 months after the session"),
        ("Most for a single expense", "£500.00"),
        ("Claims decided within", "10 days"),
    ]
    assert fees_of(response, card) == [
        ["Teaching or storytelling", "£25.00 per hour"],
        ["Simulated patient", "No fee"],
        ["Assessment or OSCE", "£75.00 per session"],
        ["Recruitment and selection", "No fee"],
        ["Curriculum design", "No fee"],
        ["Programme review or validation", "No fee"],
        ["Other", "No fee"],
    ]


def test_rate_cards_say_which_is_in_force_newest_first(world: World) -> None:
    rate_card_for(world.university, effective_from=datetime.date(2024, 4, 6))
    rate_card_for(world.university, effective_from=datetime.date(2025, 4, 6))
    rate_card_for(world.university, effective_from=datetime.date(2027, 4, 6))

    response = signed_in(world.admin).get(RATE_CARDS_URL)

    assert card_headings(response) == [
        "From 6 April 2027 Starts later",
        "From 6 April 2025 In force",
        "From 6 April 2024 Replaced",
    ]


def test_rate_cards_show_only_the_users_universities(world: World) -> None:
    rate_card_for(world.other_university)

    response = signed_in(world.finance).get(RATE_CARDS_URL)

    assert (texts(response, "h2"), card_headings(response)) == (["University A"], [])
    assert texts(response, "p")[2] == (
        "University A has no rate card yet, so no fees or mileage can be worked out. Please add one."
    )


def test_rate_cards_are_not_for_the_admin_of_a_charity(world: World) -> None:
    charity_admin = factories.staff(Membership.Role.ADMIN, world.charity)

    response = signed_in(charity_admin).get(RATE_CARDS_URL)

    assert response.status_code == 403


@pytest.mark.parametrize("count", [1, 3])
def test_rate_cards_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for year in range(count):
        rate_card_for(world.university, effective_from=datetime.date(2024 + year, 4, 6))
    client = signed_in(world.finance)

    with django_assert_num_queries(8):
        response = client.get(RATE_CARDS_URL)

    assert len(card_headings(response)) == count


# A new rate card


def test_new_rate_card_starts_from_the_latest_card(world: World) -> None:
    rate_card_for(world.university, car_rate=Decimal("0.40"))

    response = signed_in(world.finance).get(NEW_CARD_URL)

    [car_rate] = find(response, "input", id="id_car_rate")
    [teaching] = find(response, "input", id="id_fee_teaching")
    [per_session] = find(response, "select", id="id_basis_assessment")
    assert h1(response) == "New rate card"
    assert (dict(car_rate.attributes)["value"], dict(car_rate.attributes)["inputmode"]) == ("0.40", "decimal")
    assert dict(teaching.attributes)["value"] == "25.00"
    assert texts(per_session, "option", selected=None) == ["Per session"]
    assert [text_of(label) for label in find(response, "label", for_="id_effective_from")] == [
        "The rates apply to sessions from *"
    ]


def test_new_rate_card_is_saved_with_its_fees(world: World) -> None:
    response = signed_in(world.finance).post(NEW_CARD_URL, card_data(world))

    card = RateCard.objects.get()
    assert (response.status_code, response["Location"]) == (302, RATE_CARDS_URL)
    assert flashed(response) == ["The new rates of University A are saved. They apply to sessions from 6 April 2027."]
    assert (
        card.organisation,
        card.effective_from,
        card.car_rate,
        card.car_threshold_miles,
        card.car_rate_after_threshold,
        card.motorcycle_rate,
        card.bicycle_rate,
        card.subsistence_cap,
        card.receipts_required_for,
        card.claim_window_months,
        card.item_ceiling,
        card.approval_target_days,
        card.created_by,
    ) == (
        world.university,
        datetime.date(2027, 4, 6),
        Decimal("0.45"),
        10_000,
        Decimal("0.25"),
        Decimal("0.24"),
        Decimal("0.20"),
        Decimal("15.00"),
        ["public_transport", "parking"],
        3,
        Decimal("500.00"),
        10,
        world.finance,
    )
    assert list(card.fee_rates.order_by("kind").values_list("kind", "basis", "amount")) == [
        ("assessment", FeeRate.Basis.PER_SESSION, Decimal("80.00")),
        ("teaching", FeeRate.Basis.PER_HOUR, Decimal("27.50")),
    ]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("car_rate", "-0.45", "The rate must be £0.00 or more."),
        ("car_rate", "", "Please enter the rate in pounds and pence, for example 0.45."),
        ("bicycle_rate", "0.205", "Please give the rate in pounds and pence, with at most two decimal places."),
        (
            "subsistence_cap",
            "fifteen",
            "Please enter the most for food and drink in pounds and pence, for example 15.00.",
        ),
        ("item_ceiling", "0", "The ceiling must be more than £0.00."),
        ("item_ceiling", "99999999999", "Please check the ceiling: it is far more than it could be."),
        ("fee_teaching", "-25", "The fee must be £0.00 or more."),
        ("fee_teaching", "twenty", "Please enter the fee in pounds and pence, for example 25.00."),
        ("claim_window_months", "0", "Please enter a number of months from 1 to 24."),
        ("car_threshold_miles", "-1", "Please enter a number of miles from 0 to 100,000."),
        ("effective_from", "", "Please enter the day the rates start, for example 06/04/2027."),
    ],
)
def test_new_rate_card_bad_input_shows_the_error_by_the_field_and_saves_nothing(
    world: World, field: str, value: str, error: str
) -> None:
    response = signed_in(world.finance).post(NEW_CARD_URL, card_data(world, **{field: value}))

    assert (response.status_code, field_error(response, field)) == (400, error)
    assert (RateCard.objects.count(), FeeRate.objects.count()) == (0, 0)


def test_new_rate_card_on_a_day_a_card_starts_shows_the_error_by_the_date(world: World) -> None:
    rate_card_for(world.university, effective_from=datetime.date(2027, 4, 6))

    response = signed_in(world.finance).post(NEW_CARD_URL, card_data(world))

    assert (response.status_code, field_error(response, "effective_from")) == (
        400,
        "University A already has a rate card starting on 6 April 2027. Please choose another day.",
    )
    assert RateCard.objects.count() == 1


def test_new_rate_card_for_another_university_is_refused(world: World) -> None:
    response = signed_in(world.finance).post(NEW_CARD_URL, card_data(world, organisation=world.other_university.pk))

    assert (response.status_code, field_error(response, "organisation")) == (
        400,
        "Please choose one of your universities.",
    )
    assert RateCard.objects.count() == 0


# The runs


def test_runs_show_the_runs_and_what_is_waiting(world: World) -> None:
    finished = completed_run(world, claims=2)
    approved_claim(world, days_ago=10, amount="7.40", fee="25.00")
    approved_claim(world, days_ago=11, amount="12.00", fee="0.00")
    a_run(world, organisation=world.other_university, started_by=world.other_finance)

    response = signed_in(world.finance).get(RUNS_URL)

    assert (response.status_code, h1(response)) == (200, "Payment runs")
    assert texts(response, "p", class_="waiting") == ["2 approved claims, £44.40 in all."]
    assert texts(response, "button", type="submit")[-1] == "Start a payment run"
    assert table_rows(response) == [
        [
            f"Run {finished.pk}",
            "20 November 2026, 09:00",
            str(world.finance),
            "Completed",
            "2 of 2",
            "20 November 2026, 09:00",
        ]
    ]


def test_runs_say_why_no_run_can_start_while_one_is_in_progress(world: World) -> None:
    approved_claim(world, amount="6.50", fee="50.00")
    a_run(world, status=RunStatus.RUNNING)

    response = signed_in(world.finance).get(RUNS_URL)

    assert texts(response, "p", class_="waiting") == ["1 approved claim, £56.50 in all."]
    assert texts(response, "p", id=f"cannot-start-{world.university.pk}") == [
        "A run is already in progress. Please wait for it to finish."
    ]
    assert find(response, "form", action=START_URL) == []


def test_rate_cards_page_offers_a_new_card_to_those_who_set_rates(world: World) -> None:
    response = signed_in(world.admin).get(RATE_CARDS_URL)

    assert texts(response, "a", href=NEW_CARD_URL) == ["New rate card"]


def test_runs_say_when_nothing_is_waiting(world: World) -> None:
    response = signed_in(world.finance).get(RUNS_URL)

    assert texts(response, "p", class_="waiting") == ["No approved claims are waiting to be paid."]
    assert find(response, "form", action=START_URL) == []
    assert texts(response, "p", id="no-runs") == ["There have been no payment runs yet."]


@pytest.mark.parametrize("count", [1, 3])
def test_runs_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for _number in range(count):
        run = a_run(world, status=RunStatus.COMPLETED)
        approved_claim(world, days_ago=3 + run.pk)
    client = signed_in(world.finance)

    # One more than the runs and the waiting claims: whether a run is in progress anywhere.
    with django_assert_num_queries(11):
        response = client.get(RUNS_URL)

    assert len(table_rows(response)) == count


# Starting a run


def test_run_start_pays_the_approved_claims_and_shows_the_run(world: World, django_capture_on_commit_callbacks) -> None:
    claims = [approved_claim(world, days_ago=3), approved_claim(world, days_ago=4)]

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.finance).post(START_URL, {"organisation": world.university.pk})

    run = ReimbursementRun.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/runs/{run.pk}/")
    assert flashed(response) == ["The payment run has started. This page shows how it is going."]
    assert (run.status, run.started_by, run.claims_done, run.claims_total) == (RunStatus.COMPLETED, world.finance, 2, 2)
    assert sorted(Claim.objects.filter(pk__in=[claim.pk for claim in claims]).values_list("status", flat=True)) == [
        "paid",
        "paid",
    ]


def test_run_start_with_nothing_to_pay_says_so(world: World) -> None:
    response = signed_in(world.finance).post(START_URL, {"organisation": world.university.pk}, follow=True)

    assert messages_on(response) == ["There are no approved claims waiting to be paid."]
    assert (h1(response), ReimbursementRun.objects.count()) == ("Payment runs", 0)


def test_run_start_while_a_run_is_in_progress_says_so(world: World) -> None:
    approved_claim(world)
    going = a_run(world, status=RunStatus.RUNNING)

    response = signed_in(world.finance).post(START_URL, {"organisation": world.university.pk}, follow=True)

    assert messages_on(response) == ["A run is already in progress. Please wait for it to finish."]
    assert list(ReimbursementRun.objects.all()) == [going]
    assert Claim.objects.get().status == ClaimStatus.APPROVED


def test_run_start_for_another_university_starts_nothing(world: World) -> None:
    approved_claim(world)

    response = signed_in(world.finance).post(START_URL, {"organisation": world.other_university.pk}, follow=True)

    assert messages_on(response) == ["Please choose one of your universities."]
    assert ReimbursementRun.objects.count() == 0


def test_run_start_only_takes_a_post(world: World) -> None:
    assert signed_in(world.finance).get(START_URL).status_code == 405


# A run's page


def run_url(run: ReimbursementRun) -> str:
    return f"/runs/{run.pk}/"


def test_run_page_shows_the_payments_and_their_total(world: World) -> None:
    run = completed_run(world, claims=2)
    claims = list(Claim.objects.order_by("pk"))
    reference = f"VOL-{profile_of(world).pk:06d}"

    response = signed_in(world.finance).get(run_url(run))

    assert (response.status_code, h1(response)) == (200, f"Payment run {run.pk}")
    assert texts(response, "h2") == ["Completed", "Payments made"]
    assert texts(response, "p", id="run-count") == ["2 of 2 claims paid"]
    assert table_rows(response) == [
        [f"claim-{claims[0].pk}-expenses", reference, "Expenses", "£6.50"],
        [f"claim-{claims[0].pk}-fee", reference, "Involvement fee", "£50.00"],
        [f"claim-{claims[1].pk}-expenses", reference, "Expenses", "£6.50"],
        [f"claim-{claims[1].pk}-fee", reference, "Involvement fee", "£50.00"],
    ]
    assert texts(response, "td", id="run-total") == ["£113.00"]
    assert find(response, "a", href=f"/runs/{run.pk}/export.csv") != []
    assert find(response, "section", id="run-progress", hx_get=None) == []


def test_run_page_while_running_polls_for_its_progress(world: World) -> None:
    run = a_run(world, status=RunStatus.RUNNING, claims_total=30, claims_done=12)

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
    assert (find(response, "table"), find(response, "a", href=f"/runs/{run.pk}/export.csv")) == ([], [])


def test_run_page_asked_by_htmx_sends_only_the_progress(world: World) -> None:
    run = a_run(world, status=RunStatus.QUEUED, claims_total=3)

    response = signed_in(world.finance).get(run_url(run), headers={"HX-Request": "true"})

    assert (response.status_code, sorted(response["Vary"].split(", "))) == (
        200,
        ["Accept-Language", "Cookie", "HX-Request"],
    )
    assert response.content.decode().lstrip().startswith('<section id="run-progress"')
    assert (texts(response, "h1"), texts(response, "h2")) == ([], ["Waiting to start"])


def test_run_page_of_another_university_is_not_found(world: World) -> None:
    run = a_run(world, organisation=world.other_university, started_by=world.other_finance)

    assert signed_in(world.finance).get(run_url(run)).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_run_page_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    run = completed_run(world, claims=count)
    client = signed_in(world.finance)

    with django_assert_num_queries(8):
        response = client.get(run_url(run))

    assert len(table_rows(response)) == 2 * count


# The export


def export_url(run: ReimbursementRun) -> str:
    return f"/runs/{run.pk}/export.csv"


def test_run_export_downloads_the_csv_of_a_completed_run(world: World) -> None:
    run = completed_run(world, claims=1)
    claim = Claim.objects.get()

    response = signed_in(world.finance).get(export_url(run))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert (response.status_code, response["Content-Type"], response["Content-Disposition"]) == (
        200,
        "text/csv; charset=utf-8",
        f'attachment; filename="finance-export-run-{run.pk}.csv"',
    )
    assert response.content.decode() == run.export_csv
    assert rows == [
        ["payment_key", "payee_reference", "amount", "description", "claim_reference"],
        [
            f"claim-{claim.pk}-expenses",
            f"VOL-{profile_of(world).pk:06d}",
            "6.50",
            f"Expenses: {claim.booking.session.title}",
            claim.reference,
        ],
        [
            f"claim-{claim.pk}-fee",
            f"VOL-{profile_of(world).pk:06d}",
            "50.00",
            f"Involvement fee: {claim.booking.session.title}",
            claim.reference,
        ],
    ]
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_run_export_of_a_run_not_finished_is_not_found(world: World, status: str) -> None:
    run = a_run(world, status=status)

    assert signed_in(world.finance).get(export_url(run)).status_code == 404


def test_run_export_is_not_for_finance_of_another_university(world: World) -> None:
    run = completed_run(world, claims=1)

    response = signed_in(world.other_finance).get(export_url(run))

    assert (response.status_code, Payment.objects.count()) == (404, 2)


def test_run_export_is_not_for_coordinators(world: World) -> None:
    run = completed_run(world, claims=1)

    assert signed_in(world.coordinator).get(export_url(run)).status_code == 403


def test_run_page_total_counts_every_item(world: World) -> None:
    claim = approved_claim(world)
    ClaimItemFactory(claim=claim, kind=ClaimItem.Kind.PARKING, amount=Decimal("4.20"))
    run = execute_run(run_id=a_run(world, claims_total=1).pk)

    response = signed_in(world.finance).get(run_url(run))

    assert [row[2:] for row in table_rows(response)] == [["Expenses", "£10.70"], ["Involvement fee", "£50.00"]]
    assert texts(response, "td", id="run-total") == ["£60.70"]
