"""The money rules: UK tax years, mileage with the 10,000-mile split, fees by the rate card.

All amounts are ``Decimal`` pounds rounded to the penny, half up, as HMRC's approved rates are.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Sum
from django.utils import timezone

from expenses.models import Claim, ClaimItem, FeeRate, RateCard
from sessions_app.models import Booking, TeachingSession
from volunteers.models import VolunteerProfile

PENNY = Decimal("0.01")
Kind = ClaimItem.Kind
# The kinds of expense that need a receipt when the university has no rate card yet.
DEFAULT_RECEIPT_KINDS = [Kind.PUBLIC_TRANSPORT, Kind.TAXI, Kind.PARKING, Kind.CARER, Kind.SUPPORT_WORKER, Kind.OTHER]
# Months a volunteer has to claim when the university has no rate card yet.
DEFAULT_CLAIM_WINDOW_MONTHS = 3


def to_pounds(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def tax_year_start(day: datetime.date) -> datetime.date:
    """The 6 April on or before ``day``: the UK tax year runs 6 April to 5 April."""
    start = datetime.date(day.year, 4, 6)
    return start if day >= start else datetime.date(day.year - 1, 4, 6)


def tax_year_label(day: datetime.date) -> str:
    start = tax_year_start(day)
    return f"{start.year}/{str(start.year + 1)[-2:]}"


def tax_year_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day (6 April, 5 April) of the tax year containing ``day``."""
    start = tax_year_start(day)
    return start, datetime.date(start.year + 1, 4, 5)


def car_miles_before(volunteer: VolunteerProfile, day: datetime.date, *, exclude_claim: Claim | None = None) -> Decimal:
    """Car miles the volunteer has already claimed in the tax year of ``day``, up to and including
    that day (claims not rejected): they decide where the 10,000-mile threshold falls."""
    start, _end = tax_year_bounds(day)
    items = ClaimItem.objects.filter(
        claim__volunteer=volunteer,
        kind=ClaimItem.Kind.MILEAGE,
        vehicle=ClaimItem.Vehicle.CAR,
        date__gte=start,
        date__lte=day,
    ).exclude(claim__status=Claim.Status.REJECTED)
    if exclude_claim is not None:
        items = items.exclude(claim=exclude_claim)
    return items.aggregate(total=Sum("miles"))["total"] or Decimal("0")


def mileage_amount(*, card: RateCard, vehicle: str, miles: Decimal, miles_before: Decimal = Decimal("0")) -> Decimal:
    """What ``miles`` by ``vehicle`` are worth. A car journey that crosses the threshold is split
    at it: the miles up to it at the first rate, the rest at the lower rate."""
    if vehicle == ClaimItem.Vehicle.MOTORCYCLE:
        return to_pounds(miles * card.motorcycle_rate)
    if vehicle == ClaimItem.Vehicle.BICYCLE:
        return to_pounds(miles * card.bicycle_rate)
    threshold = Decimal(card.car_threshold_miles)
    at_full_rate = max(Decimal("0"), min(miles, threshold - miles_before))
    at_lower_rate = miles - at_full_rate
    return to_pounds(at_full_rate * card.car_rate + at_lower_rate * card.car_rate_after_threshold)


def fee_due(booking: Booking, card: RateCard | None) -> Decimal:
    """The involvement fee for an attended booking by the rate card (0 if none applies)."""
    if card is None or booking.status != Booking.Status.ATTENDED:
        return Decimal("0.00")
    rate = FeeRate.objects.filter(rate_card=card, kind=booking.session.kind).first()
    if rate is None:
        return Decimal("0.00")
    if rate.basis == FeeRate.Basis.PER_SESSION:
        return to_pounds(rate.amount)
    hours = booking.hours if booking.hours is not None else booking.session.duration_hours
    return to_pounds(rate.amount * hours)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    return day + relativedelta(months=months)


def claim_deadline(booking: Booking, card: RateCard | None) -> datetime.date:
    """The last day to claim for ``booking``: the card's claim window after the session's (UK) day."""
    months = card.claim_window_months if card else DEFAULT_CLAIM_WINDOW_MONTHS
    return add_months(timezone.localdate(booking.session.ends_at), months)


def receipt_kinds(card: RateCard | None) -> list[str]:
    """The kinds of expense that need a receipt under ``card``."""
    return [str(kind) for kind in (card.receipts_required_for if card else DEFAULT_RECEIPT_KINDS)]


def session_fee(session: TeachingSession, card: RateCard | None) -> tuple[Decimal, FeeRate] | None:
    """The fee a session's kind and length earn by ``card``, with the rate it comes from (None
    when the card has no fee for that kind)."""
    if card is None:
        return None
    rate = next((rate for rate in card.fee_rates.all() if rate.kind == session.kind), None)
    if rate is None:
        return None
    if rate.basis == FeeRate.Basis.PER_SESSION:
        return to_pounds(rate.amount), rate
    return to_pounds(rate.amount * session.duration_hours), rate
