"""What a session pays and what the university arranges, said before a volunteer accepts
(registered with ``sessions_app.covered``): the fee for the session's kind and length by the rate
card in force, as the volunteer's payment preference would take it; the mileage rates; which
costs need a receipt; what the university has paid or agreed in advance; and the claim window."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from expenses.models import BookingArrangement, ClaimItem, FeeRate, PrepaidCost, RateCard
from expenses.rates import DEFAULT_CLAIM_WINDOW_MONTHS, add_months, session_fee
from expenses.selectors import rate_card_for_session
from involvement import formatting
from involvement.links import absolute_url
from sessions_app.covered import CoveredItem
from sessions_app.models import Booking, TeachingSession
from volunteers.models import VolunteerProfile

Preference = VolunteerProfile.PaymentPreference


def pence(amount: Decimal) -> str:
    """45p, or £1.20."""
    return f"{int(amount * 100)}p" if amount < 1 else formatting.money(amount)


def _fee(session: TeachingSession, card: RateCard | None, volunteer: VolunteerProfile | None) -> CoveredItem:
    found = session_fee(session, card)
    if card is None:
        return CoveredItem(
            f"{session.university} has not set its rates yet; the coordinator can tell you what is paid."
        )
    if found is None:
        return CoveredItem("There is no fee for this kind of session. Your expenses are paid.")
    fee, rate = found
    how = (
        "for the session"
        if rate.basis == FeeRate.Basis.PER_SESSION
        else f"{pence(rate.amount)} an hour for {session.duration_hours.normalize():f} hours"
    )
    full = f"{formatting.money(fee)} ({how})"
    preference = Preference(volunteer.payment_preference) if volunteer is not None else None
    if preference == Preference.EXPENSES_ONLY:
        return CoveredItem(
            f"You have told us you would rather not take a fee, so we will pay your expenses only. The fee for "
            f"this session would be {full}; you can change your mind when you claim."
        )
    if preference == Preference.NOTHING:
        return CoveredItem(
            f"You have told us you do not want to be paid. If you change your mind, you can claim your expenses, "
            f"and the fee of {full}, after the session."
        )
    if preference == Preference.REDUCED_FEE:
        return CoveredItem(
            f"The fee for this session is {full}. You have told us you would like a reduced fee: you choose the "
            "amount when you claim."
        )
    if preference == Preference.FEE_DONATED:
        return CoveredItem(
            f"The fee for this session is {full}. You have told us you donate your fee to your charity; we will "
            "pay your expenses."
        )
    return CoveredItem(f"The fee for this session is {full}, and your expenses are paid.")


def _mileage(card: RateCard) -> CoveredItem:
    return CoveredItem(
        f"Travel by car or van is paid at {pence(card.car_rate)} a mile ({pence(card.car_rate_after_threshold)} "
        f"after {card.car_threshold_miles:,} miles in a tax year), by motorcycle at {pence(card.motorcycle_rate)} "
        f"and by bicycle at {pence(card.bicycle_rate)} a mile; food and drink up to £{card.subsistence_cap:.2f}."
    )


def _receipts(card: RateCard) -> CoveredItem | None:
    kinds = [str(ClaimItem.Kind(code).label).lower() for code in card.receipts_required_for if code in ClaimItem.Kind]
    if not kinds:
        return None
    listed = ", ".join(kinds[:-1]) + (" and " if len(kinds) > 1 else "") + kinds[-1]
    return CoveredItem(f"Please keep receipts for {listed}: they are needed to claim.")


def _prepaid(booking: Booking) -> list[CoveredItem]:
    items = []
    arrangement = BookingArrangement.objects.filter(booking=booking).first()
    if arrangement is not None and arrangement.taxi_preapproved:
        items.append(CoveredItem("A taxi is agreed in advance for you: keep the receipt and claim it."))
    costs = list(PrepaidCost.objects.filter(booking=booking).order_by("created_at", "pk"))
    if costs:
        listed = "; ".join(f"{cost.description} (£{cost.amount:.2f})" for cost in costs)
        university = booking.session.university
        items.append(CoveredItem(f"{university} has already paid for: {listed}. Please do not claim it."))
    return items


def what_is_covered(
    session: TeachingSession, booking: Booking | None, volunteer: VolunteerProfile | None
) -> list[CoveredItem]:
    card = rate_card_for_session(session)
    items = [_fee(session, card, volunteer)]
    if card is not None:
        items.append(_mileage(card))
        receipts = _receipts(card)
        if receipts is not None:
            items.append(receipts)
    if booking is not None and booking.pk is not None:
        items += _prepaid(booking)
    months = card.claim_window_months if card else DEFAULT_CLAIM_WINDOW_MONTHS
    deadline = add_months(timezone.localdate(session.ends_at), months)
    items.append(CoveredItem(f"Claim within {months} months of the session, by {formatting.day(deadline)}."))
    items.append(
        CoveredItem("How a fee can affect your benefits", url=absolute_url(reverse("expenses:fees_and_benefits")))
    )
    return items
