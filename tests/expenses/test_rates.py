"""expenses.rates: UK tax years, mileage with the 10,000-mile split, fees by the rate card, months.

Every amount is compared as an exact ``Decimal`` (value and pence), never a float.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from expenses import services
from expenses.models import Claim, ClaimItem, RateCard
from expenses.rates import (
    add_months,
    car_miles_before,
    fee_due,
    mileage_amount,
    tax_year_bounds,
    tax_year_label,
    tax_year_start,
    to_pounds,
)
from sessions_app.models import Booking, TeachingSession
from tests import factories
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, ClaimItemFactory, FeeRateFactory, attended_on, rate_card_for
from volunteers.models import VolunteerProfile

D = Decimal
Status = Claim.Status
CAR = ClaimItem.Vehicle.CAR
MOTORCYCLE = ClaimItem.Vehicle.MOTORCYCLE
BICYCLE = ClaimItem.Vehicle.BICYCLE


def exact(value: Decimal, expected: str) -> bool:
    """Equal in value and written with exactly the same pence (``7.00``, not ``7``)."""
    return isinstance(value, Decimal) and str(value) == expected


@pytest.fixture
def card(world: World) -> RateCard:
    return rate_card_for(world.university)


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return world.volunteer.volunteer_profile


def claim_on(world: World, day: datetime.date, volunteer: VolunteerProfile, status: str = Status.DRAFT) -> Claim:
    booking = attended_on(world.university, world.coordinator, volunteer, day)
    return ClaimFactory(booking=booking, status=status, paid_at=timezone.now() if status == Status.PAID else None)


def car_journey(claim: Claim, miles: str, day: datetime.date | None = None, vehicle: str = CAR) -> ClaimItem:
    """A mileage item as already claimed (its amount does not matter to the mile count)."""
    return ClaimItemFactory(
        claim=claim,
        kind=ClaimItem.Kind.MILEAGE,
        date=day or claim.booking.session.starts_at.date(),
        miles=D(miles),
        vehicle=vehicle,
        from_postcode="LS1 1AA",
        to_postcode="LS2 9JT",
        amount=D("1.00"),
    )


def add_car_miles(world: World, claim: Claim, miles: str) -> ClaimItem:
    return services.add_item(
        claim=claim,
        actor=world.volunteer,
        kind=ClaimItem.Kind.MILEAGE,
        date=claim.booking.session.starts_at.date(),
        miles=D(miles),
        vehicle=CAR,
        from_postcode="ls1 1aa",
        to_postcode="LS2 9JT",
    )


# Tax years -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (datetime.date(2025, 4, 5), datetime.date(2024, 4, 6), datetime.date(2025, 4, 5), "2024/25"),
        (datetime.date(2025, 4, 6), datetime.date(2025, 4, 6), datetime.date(2026, 4, 5), "2025/26"),
        (datetime.date(2026, 1, 1), datetime.date(2025, 4, 6), datetime.date(2026, 4, 5), "2025/26"),
        (datetime.date(2025, 12, 31), datetime.date(2025, 4, 6), datetime.date(2026, 4, 5), "2025/26"),
        (datetime.date(2026, 4, 5), datetime.date(2025, 4, 6), datetime.date(2026, 4, 5), "2025/26"),
        (datetime.date(2024, 2, 29), datetime.date(2023, 4, 6), datetime.date(2024, 4, 5), "2023/24"),
        (datetime.date(1999, 4, 6), datetime.date(1999, 4, 6), datetime.date(2000, 4, 5), "1999/00"),
    ],
)
def test_tax_year_start_bounds_and_label_around_6_april(day, start, end, label):
    assert tax_year_start(day) == start
    assert tax_year_bounds(day) == (start, end)
    assert tax_year_label(day) == label


# Rounding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.045", "0.05"), ("0.025", "0.03"), ("2.424", "2.42"), ("2.425", "2.43"), ("7", "7.00"), ("0.004", "0.00")],
)
def test_to_pounds_rounds_half_up_to_the_penny(value, expected):
    assert exact(to_pounds(D(value)), expected)


# Mileage by the rate card --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("miles", "before", "expected"),
    [
        ("100", "0", "45.00"),  # well under the threshold
        ("10", "9990", "4.50"),  # ends exactly at 10,000: all at 45p
        ("20", "9990", "7.00"),  # across: 10 × 45p + 10 × 25p
        ("10", "10000", "2.50"),  # starts at the threshold: all at 25p
        ("10", "12000", "2.50"),  # long after it
        ("10000", "0", "4500.00"),  # the whole allowance in one (the service caps a journey; the rule does not)
        ("10001", "0", "4500.25"),
        ("0.1", "0", "0.05"),  # 4.5p rounds half up
        ("0.1", "10000", "0.03"),  # 2.5p rounds half up
        ("12.3", "9999.9", "3.10"),  # 0.1 × 45p + 12.2 × 25p = 0.045 + 3.05 = 3.095
    ],
)
def test_mileage_amount_by_car_splits_at_the_threshold(card, miles, before, expected):
    assert exact(mileage_amount(card=card, vehicle=CAR, miles=D(miles), miles_before=D(before)), expected)


@pytest.mark.parametrize(
    ("vehicle", "miles", "before", "expected"),
    [
        (MOTORCYCLE, "10", "0", "2.40"),
        (MOTORCYCLE, "10.1", "0", "2.42"),  # 2.424
        (MOTORCYCLE, "10", "20000", "2.40"),  # no threshold for motorcycles
        (BICYCLE, "10", "0", "2.00"),
        (BICYCLE, "12.5", "15000", "2.50"),
        (BICYCLE, "0.1", "0", "0.02"),
    ],
)
def test_mileage_amount_motorcycle_24p_bicycle_20p(card, vehicle, miles, before, expected):
    assert exact(mileage_amount(card=card, vehicle=vehicle, miles=D(miles), miles_before=D(before)), expected)


def test_mileage_amount_follows_the_card_not_fixed_numbers(world):
    card = rate_card_for(
        world.university,
        effective_from=datetime.date(2025, 4, 6),
        car_rate=D("0.50"),
        car_rate_after_threshold=D("0.30"),
        car_threshold_miles=5000,
    )

    assert exact(mileage_amount(card=card, vehicle=CAR, miles=D("20"), miles_before=D("4990")), "8.00")


# Miles already claimed (per volunteer, per tax year) -------------------------------------------------


def test_car_miles_before_counts_all_the_volunteers_claims_in_the_tax_year(world, profile):
    first = claim_on(world, datetime.date(2025, 5, 1), profile, Status.PAID)
    second = claim_on(world, datetime.date(2025, 9, 1), profile, Status.SUBMITTED)
    car_journey(first, "4000")
    car_journey(first, "990")
    car_journey(second, "5000")

    assert car_miles_before(profile, datetime.date(2025, 10, 1)) == D("9990")
    assert car_miles_before(profile, datetime.date(2025, 9, 1)) == D("9990")  # the same day counts
    assert car_miles_before(profile, datetime.date(2025, 8, 31)) == D("4990")  # later journeys do not


def test_car_miles_before_ignores_rejected_claims_other_volunteers_and_other_vehicles(world, profile):
    rejected = claim_on(world, datetime.date(2025, 5, 1), profile, Status.REJECTED)
    car_journey(rejected, "9000")
    someone_else = factories.VolunteerProfileFactory()
    car_journey(claim_on(world, datetime.date(2025, 5, 2), someone_else), "9500")
    own = claim_on(world, datetime.date(2025, 5, 3), profile, Status.APPROVED)
    car_journey(own, "300", vehicle=MOTORCYCLE)
    car_journey(own, "40", vehicle=BICYCLE)
    car_journey(own, "12.5")

    assert car_miles_before(profile, datetime.date(2025, 6, 1)) == D("12.5")
    assert car_miles_before(someone_else, datetime.date(2025, 6, 1)) == D("9500")


def test_car_miles_before_restarts_on_6_april(world, profile):
    car_journey(claim_on(world, datetime.date(2025, 4, 5), profile, Status.PAID), "9990")

    assert car_miles_before(profile, datetime.date(2025, 4, 5)) == D("9990")
    assert car_miles_before(profile, datetime.date(2025, 4, 6)) == D("0")


def test_car_miles_before_can_leave_out_one_claim(world, profile):
    claim = claim_on(world, datetime.date(2025, 5, 1), profile)
    car_journey(claim, "100")
    car_journey(claim_on(world, datetime.date(2025, 5, 2), profile), "50")

    assert car_miles_before(profile, datetime.date(2025, 6, 1), exclude_claim=claim) == D("50")


# The split through add_item ------------------------------------------------------------------------


def test_add_item_splits_a_journey_across_10000_miles(world, card, profile):
    car_journey(claim_on(world, datetime.date(2025, 5, 1), profile, Status.PAID), "5000")
    car_journey(claim_on(world, datetime.date(2025, 8, 1), profile, Status.APPROVED), "4990")
    claim = claim_on(world, datetime.date(2025, 10, 1), profile)

    item = add_car_miles(world, claim, "20")

    assert exact(item.amount, "7.00")  # 10 × £0.45 + 10 × £0.25
    item.refresh_from_db()
    assert exact(item.amount, "7.00")
    assert item.miles == D("20.0")
    assert (item.from_postcode, item.to_postcode, item.vehicle) == ("LS1 1AA", "LS2 9JT", CAR)


def test_add_item_after_the_threshold_pays_25p(world, card, profile):
    car_journey(claim_on(world, datetime.date(2025, 5, 1), profile, Status.PAID), "9990")
    crossing = claim_on(world, datetime.date(2025, 10, 1), profile)
    add_car_miles(world, crossing, "20")
    later = claim_on(world, datetime.date(2025, 11, 1), profile)

    item = add_car_miles(world, later, "10")

    assert exact(item.amount, "2.50")


def test_add_item_second_journey_on_the_same_claim_counts_the_first(world, card, profile):
    car_journey(claim_on(world, datetime.date(2025, 5, 1), profile, Status.PAID), "9980")
    claim = claim_on(world, datetime.date(2025, 10, 1), profile)

    outward = add_car_miles(world, claim, "15")
    back = add_car_miles(world, claim, "15")

    assert exact(outward.amount, "6.75")  # 9,980 + 15: all under the threshold
    assert exact(back.amount, "4.75")  # 9,995 + 15: 5 × 45p + 10 × 25p


def test_add_item_ignores_rejected_claims_and_other_volunteers(world, card, profile):
    car_journey(claim_on(world, datetime.date(2025, 5, 1), profile, Status.REJECTED), "9990")
    car_journey(claim_on(world, datetime.date(2025, 5, 1), factories.VolunteerProfileFactory()), "9990")
    claim = claim_on(world, datetime.date(2025, 10, 1), profile)

    item = add_car_miles(world, claim, "20")

    assert exact(item.amount, "9.00")


def test_add_item_mileage_restarts_at_45p_on_6_april(world, card, profile):
    car_journey(claim_on(world, datetime.date(2025, 3, 1), profile, Status.PAID), "12000")
    on_5_april = claim_on(world, datetime.date(2025, 4, 5), profile)
    on_6_april = claim_on(world, datetime.date(2025, 4, 6), profile)

    assert exact(add_car_miles(world, on_5_april, "20").amount, "5.00")
    assert exact(add_car_miles(world, on_6_april, "20").amount, "9.00")


# Fees ----------------------------------------------------------------------------------------------


def booking_for_fee(
    world: World, *, hours: Decimal | None, kind: str = TeachingSession.Kind.TEACHING, **fields: object
) -> Booking:
    return attended_on(
        world.university,
        world.coordinator,
        world.volunteer.volunteer_profile,
        datetime.date(2025, 10, 1),
        hours=hours,
        kind=kind,
        **fields,
    )


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(D("2.00"), "50.00"), (D("1.50"), "37.50"), (D("1.33"), "33.25"), (D("0.00"), "0.00"), (D("7.25"), "181.25")],
)
def test_fee_due_per_hour_uses_the_hours_attended(world, card, hours, expected):
    assert exact(fee_due(booking_for_fee(world, hours=hours), card), expected)


def test_fee_due_per_hour_without_recorded_hours_uses_the_session_length(world, card):
    booking = booking_for_fee(
        world,
        hours=None,
        ends_at=datetime.datetime(2025, 10, 1, 11, 30, tzinfo=datetime.UTC),  # 10:00 BST is 09:00 UTC
    )

    assert exact(fee_due(booking, card), "62.50")


def test_fee_due_per_hour_rounds_half_up(world):
    card = RateCard.objects.create(organisation=world.university, effective_from=datetime.date(2025, 4, 6))
    FeeRateFactory(rate_card=card, amount=D("12.50"))  # 12.50 × 0.33 = 4.125

    assert exact(fee_due(booking_for_fee(world, hours=D("0.33")), card), "4.13")


def test_fee_due_per_session_ignores_the_hours(world, card):
    booking = booking_for_fee(world, hours=D("6.00"), kind=TeachingSession.Kind.ASSESSMENT)

    assert exact(fee_due(booking, card), "75.00")


def test_fee_due_is_zero_without_a_rate_for_the_kind_or_a_card(world, card):
    booking = booking_for_fee(world, hours=D("2.00"), kind=TeachingSession.Kind.CURRICULUM)

    assert exact(fee_due(booking, card), "0.00")
    assert exact(fee_due(booking_for_fee(world, hours=D("2.00")), None), "0.00")


@pytest.mark.parametrize("status", [Booking.Status.ACCEPTED, Booking.Status.NO_SHOW, Booking.Status.CANCELLED])
def test_fee_due_is_zero_unless_attended(world, card, status):
    booking = booking_for_fee(world, hours=D("2.00"))
    booking.status = status

    assert exact(fee_due(booking, card), "0.00")


# Months --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2025, 1, 31), 1, datetime.date(2025, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2025, 3, 31), 3, datetime.date(2025, 6, 30)),
        (datetime.date(2025, 11, 30), 3, datetime.date(2026, 2, 28)),
        (datetime.date(2025, 10, 15), 3, datetime.date(2026, 1, 15)),
        (datetime.date(2025, 12, 31), 12, datetime.date(2026, 12, 31)),
        (datetime.date(2025, 5, 16), 0, datetime.date(2025, 5, 16)),
        (datetime.date(2023, 12, 29), 2, datetime.date(2024, 2, 29)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected
