"""Finance pages: rate cards (the list and a new card), through django.test.Client. The payment
runs' pages are test_run_views.py; the finance set-up pages test_finance_setup_views.py.

The clock stands at Friday 20 November 2026, 09:00 UK time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.http import HttpResponse

from accounts.models import Membership
from expenses.models import FeeRate, RateCard
from sessions_app.clock import LONDON
from tests import factories
from tests.accounts.test_views import field_error, find, h1, text_of, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import rate_card_for

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
RATE_CARDS_URL = "/rate-cards/"
NEW_CARD_URL = "/rate-cards/new/"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


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
    assert card_headings(response) == ["From Saturday 6 April 2024 In force"]
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
        "From Tuesday 6 April 2027 Starts later",
        "From Sunday 6 April 2025 In force",
        "From Saturday 6 April 2024 Replaced",
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
    assert flashed(response) == [
        "The new rates of University A are saved. They apply to sessions from Tuesday 6 April 2027."
    ]
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
        "University A already has a rate card starting on Tuesday 6 April 2027. Please choose another day.",
    )
    assert RateCard.objects.count() == 1


def test_new_rate_card_for_another_university_is_refused(world: World) -> None:
    response = signed_in(world.finance).post(NEW_CARD_URL, card_data(world, organisation=world.other_university.pk))

    assert (response.status_code, field_error(response, "organisation")) == (
        400,
        "Please choose one of your universities.",
    )
    assert RateCard.objects.count() == 0


def test_rate_cards_page_offers_a_new_card_to_those_who_set_rates(world: World) -> None:
    response = signed_in(world.admin).get(RATE_CARDS_URL)

    assert texts(response, "a", href=NEW_CARD_URL) == ["New rate card"]
