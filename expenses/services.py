"""Every change to claims, rate cards and payments. Volunteers are never out of pocket, never paid
twice, and never surprised."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from expenses import codes, permissions
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    FeeRate,
    FinanceSettings,
    PayeeReference,
    Payment,
    PayRoute,
    PrepaidCost,
    ProgrammeBudget,
    RateCard,
    Receipt,
    ReimbursementRun,
    RunLine,
)
from expenses.rates import (
    car_miles_before,
    claim_deadline,
    fee_due,
    mileage_amount,
    receipt_kinds,
    tax_year_start,
)
from expenses.receipts import ReceiptError, check_receipt
from expenses.selectors import (
    BudgetPosition,
    budget_key,
    budget_positions,
    claim_totals,
    payable_lines,
    payee_form_key,
    payee_reference_of,
    rate_card_for_session,
    started_run_count,
)
from involvement.activity import record_activities, record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.notifications import Outgoing, queue_notification, queue_notifications
from involvement.periods import academic_year_start
from involvement.retention import in_batches
from sessions_app.models import Booking, Programme
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
RunStatus = ReimbursementRun.Status
Kind = ClaimItem.Kind
# How the money reaches the volunteer, by the route recorded on the payment (the remittance says it).
HOW_PAID = {
    PayRoute.PAYROLL: "through the university's payroll in the next pay run",
    PayRoute.ACCOUNTS_PAYABLE: "by bank transfer from the university's accounts payable",
}
# Claims the retention purge deletes in one transaction.
PURGE_BATCH = 200
PAYEE_FORM_URL_MAX = FinanceSettings._meta.get_field("payee_form_url").max_length or 500


logger = logging.getLogger(__name__)


class ClaimError(DomainError):
    """A rule about claims or payments was broken; the message is safe to show."""


def _university_of(claim: Claim) -> Organisation:
    return claim.booking.session.module.programme.university


def _lock_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("booking__session__module__programme__university", "volunteer__user")
        .get(pk=claim.pk)
    )


def _refuse(refusal: str | None, *, field: str | None = None) -> None:
    """Raise the rule's refusal (from ``expenses.permissions``) as a ClaimError."""
    if refusal:
        raise ClaimError(refusal, field=field)


def _check_amount(amount: Decimal, card: RateCard | None, *, field: str = "amount") -> Decimal:
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]  # a finite Decimal's exponent is an int
        raise ClaimError("Please give the amount in pounds and pence, with at most two decimal places.", field=field)
    if amount <= 0:
        raise ClaimError("The amount must be more than £0.00.", field=field)
    ceiling = card.item_ceiling if card else Decimal("500.00")
    if amount > ceiling:
        raise ClaimError(f"£{amount} is more than the £{ceiling} a single item may be. Please check it.", field=field)
    return amount


# Rate cards ----------------------------------------------------------------------------------------


@transaction.atomic
def save_rate_card(
    *, organisation: Organisation, actor: User, fees: dict[str, tuple[str, Decimal]], **fields: Any
) -> RateCard:
    """Create the rate card taking effect on ``fields["effective_from"]``, with its fee per kind
    of session (``{kind: (basis, amount)}``). Earlier cards stay for claims about earlier sessions."""
    _refuse(permissions.set_rates_refusal(organisation, actor), field="organisation")
    if RateCard.objects.filter(organisation=organisation, effective_from=fields["effective_from"]).exists():
        raise ClaimError("There is already a rate card starting on that day.", field="effective_from")
    money = ("car_rate", "car_rate_after_threshold", "motorcycle_rate", "bicycle_rate", "subsistence_cap")
    if any(fields.get(name, Decimal("0")) < 0 for name in money) or fields.get("item_ceiling", Decimal("1")) <= 0:
        raise ClaimError("Rates cannot be negative.")
    if any(amount < 0 for _basis, amount in fees.values()):
        raise ClaimError("Fees cannot be negative.")
    fields.setdefault("receipts_required_for", receipt_kinds(None))
    card = RateCard.objects.create(organisation=organisation, created_by=actor, **fields)
    FeeRate.objects.bulk_create(
        [FeeRate(rate_card=card, kind=kind, basis=basis, amount=amount) for kind, (basis, amount) in fees.items()]
    )
    record_activity(actor=actor, action="rate_card.created", target=card, organisation=organisation)
    return card


# Budgets ------------------------------------------------------------------------------------------

# A budget far larger than any programme's involvement spend is a typing mistake (max_digits=12).
BUDGET_CEILING = Decimal("9999999999.99")
FIRST_BUDGET_YEAR = 2000
# How many academic years ahead a budget may be set.
BUDGET_YEARS_AHEAD = 2


def _check_budget(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]  # a finite Decimal's exponent is an int
        raise ClaimError("Please give the budget in pounds and pence, for example 2500.00.", field="amount")
    if amount < 0:
        raise ClaimError("A budget cannot be negative. Enter 0.00 for no money this year.", field="amount")
    if amount > BUDGET_CEILING:
        raise ClaimError("Please check the budget: it is far more than it could be.", field="amount")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def set_budget(*, programme: Programme, academic_year: int, amount: Decimal, actor: User) -> ProgrammeBudget:
    """Set ``programme``'s involvement budget (fees and expenses together) for the academic year
    from 1 September ``academic_year``, replacing any set before. Finance officers and org admins
    of its university only; the amount in pounds and pence, not negative. Raises ClaimError (by
    the field) with nothing saved. Records ``budget.set`` with the amount and the one before."""
    _refuse(permissions.set_budget_refusal(programme.university_id, actor), field="programme")
    latest = academic_year_start(timezone.localdate()) + BUDGET_YEARS_AHEAD
    if not FIRST_BUDGET_YEAR <= academic_year <= latest:
        raise ClaimError("Please choose an academic year for the budget.", field="academic_year")
    amount = _check_budget(amount)
    # The programme's row serialises two people setting the same budget at once.
    Programme.objects.select_for_update().only("pk").get(pk=programme.pk)
    budget = ProgrammeBudget.objects.filter(programme=programme, academic_year=academic_year).first()
    previous = None if budget is None else budget.amount
    if budget is None:
        budget = ProgrammeBudget.objects.create(
            programme=programme, academic_year=academic_year, amount=amount, set_by=actor
        )
    else:
        budget.amount, budget.set_by = amount, actor
        budget.save(update_fields=["amount", "set_by", "updated_at"])
    record_activity(
        actor=actor,
        action="budget.set",
        target=budget,
        organisation=programme.university,
        data={
            "programme": programme.pk,
            "academic_year": academic_year,
            "amount": str(amount),
            "previous": None if previous is None else str(previous),
        },
    )
    return budget


# Arrangements made by the university ---------------------------------------------------------------


@transaction.atomic
def set_taxi_preapproval(*, booking: Booking, actor: User, approved: bool, notes: str = "") -> BookingArrangement:
    arrangement, _ = BookingArrangement.objects.get_or_create(booking=booking)
    arrangement.taxi_preapproved = approved
    arrangement.notes = notes.strip()
    arrangement.save()
    record_activity(
        actor=actor,
        action="booking.taxi_preapproved" if approved else "booking.taxi_not_preapproved",
        target=booking,
        organisation=booking.session.university,
    )
    return arrangement


@transaction.atomic
def add_prepaid_cost(*, booking: Booking, actor: User, description: str, amount: Decimal) -> PrepaidCost:
    """Record a cost the university paid or booked itself: shown on the claim, not reimbursed."""
    if not description.strip():
        raise ClaimError("Please say what was paid for.", field="description")
    if amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]  # a finite Decimal's exponent is an int
        raise ClaimError("Please give an amount more than £0.00, in pounds and pence.", field="amount")
    cost = PrepaidCost.objects.create(
        booking=booking, description=description.strip(), amount=amount, recorded_by=actor
    )
    record_activity(actor=actor, action="booking.prepaid_cost", target=booking, data={"amount": str(amount)})
    return cost


# Claims --------------------------------------------------------------------------------------------


def default_fee_choice(profile: VolunteerProfile) -> str:
    preference = VolunteerProfile.PaymentPreference
    return {
        preference.FEE_AND_EXPENSES: Claim.FeeChoice.TAKE,
        preference.REDUCED_FEE: Claim.FeeChoice.REDUCED,
        preference.FEE_DONATED: Claim.FeeChoice.DONATE,
        preference.EXPENSES_ONLY: Claim.FeeChoice.DECLINE,
        preference.NOTHING: Claim.FeeChoice.DECLINE,
    }[VolunteerProfile.PaymentPreference(profile.payment_preference)]


@transaction.atomic
def open_claim(*, booking: Booking, actor: User) -> Claim:
    """Open the claim for an attended booking, by the volunteer or (for a paper claim) a
    coordinator or finance officer of the university, recorded as on their behalf.

    Raises ClaimError when the booking was not attended, the claim window has closed, or a
    claim exists. The fee due comes from the rate card; the fee choice from their preference.
    """
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("session__module__programme__university", "volunteer__user")
        .get(pk=booking.pk)
    )
    university = booking.session.university
    on_behalf = actor.pk != booking.volunteer.user_id
    card = rate_card_for_session(booking.session)
    _refuse(permissions.open_claim_refusal(booking, actor, deadline=claim_deadline(booking, card)))
    due = fee_due(booking, card)
    choice = default_fee_choice(booking.volunteer)
    claim = Claim.objects.create(
        booking=booking,
        volunteer=booking.volunteer,
        opened_by=actor,
        on_behalf=on_behalf,
        fee_due=due,
        fee_choice=choice,
        fee_requested=due if choice == Claim.FeeChoice.TAKE else Decimal("0.00"),
    )
    record_activity(
        actor=actor,
        action="claim.opened_on_behalf" if on_behalf else "claim.opened",
        target=claim,
        organisation=university,
    )
    return claim


@transaction.atomic
def add_item(
    *,
    claim: Claim,
    actor: User,
    kind: str,
    date: datetime.date,
    amount: Decimal | None = None,
    note: str = "",
    miles: Decimal | None = None,
    vehicle: str = "",
    from_postcode: str = "",
    to_postcode: str = "",
    receipt_file: UploadedFile | None = None,
) -> ClaimItem:
    """Add an expense. Mileage is computed from the miles (split at the 10,000-mile threshold);
    other amounts are checked (more than zero, pence at most, under the ceiling). A taxi needs
    the university's agreement in advance; some kinds need a receipt. Raises ClaimError."""
    claim = _lock_claim(claim)
    _refuse(permissions.edit_claim_refusal(claim, actor))
    card = rate_card_for_session(claim.booking.session)
    session_day = timezone.localdate(claim.booking.session.starts_at)
    if kind not in Kind.values:
        raise ClaimError("Please choose what the expense was for.", field="kind")
    if abs((date - session_day).days) > 7:
        raise ClaimError("The date should be the day of the session, or within a week of it.", field="date")
    if kind == Kind.TAXI:
        arrangement = BookingArrangement.objects.filter(booking=claim.booking).first()
        if arrangement is None or not arrangement.taxi_preapproved:
            raise ClaimError(
                "A taxi can only be claimed when the university agreed it before the session. "
                "Please ask the coordinator.",
                field="kind",
            )
    if kind == Kind.MILEAGE:
        if miles is None or miles <= 0:
            raise ClaimError("Please give the number of miles, more than 0.", field="miles")
        if miles > 1000:
            raise ClaimError("That is more than 1,000 miles. Please check the number.", field="miles")
        if miles.as_tuple().exponent < -1:  # type: ignore[operator]  # a finite Decimal's exponent is an int
            raise ClaimError("Please give the miles to one decimal place at most, for example 12.5.", field="miles")
        if vehicle not in ClaimItem.Vehicle.values:
            raise ClaimError("Please choose the vehicle.", field="vehicle")
        if not from_postcode.strip() or not to_postcode.strip():
            raise ClaimError(
                "Please give the postcodes you travelled from and to.",
                field="to_postcode" if from_postcode.strip() else "from_postcode",
            )
        if card is None:
            raise ClaimError("The university has no rate card for this date yet. Please contact finance.")
        before = car_miles_before(claim.volunteer, date)
        amount = mileage_amount(card=card, vehicle=vehicle, miles=miles, miles_before=before)
        if amount <= 0:  # a rate of £0.00 (a card that pays nothing for bicycles, say)
            raise ClaimError(
                "By the university's rates these miles come to £0.00, so there is nothing to claim.", field="miles"
            )
    else:
        if amount is None:
            raise ClaimError("Please give the amount.", field="amount")
        _check_amount(amount, card)
        if kind == Kind.SUBSISTENCE and card is not None:
            spent = claim.items.filter(kind=Kind.SUBSISTENCE).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            if spent + amount > card.subsistence_cap:
                raise ClaimError(
                    f"Food and drink can be claimed up to £{card.subsistence_cap} for a session.", field="amount"
                )
    receipt = None
    if receipt_file is not None:
        receipt = _store_receipt(claim, receipt_file, actor)
    elif kind in receipt_kinds(card):
        raise ClaimError(f"{Kind(kind).label} needs a receipt. Please add a photo or scan of it.", field="receipt")
    item = ClaimItem.objects.create(
        claim=claim,
        kind=kind,
        date=date,
        amount=amount,
        note=note.strip(),
        miles=miles if kind == Kind.MILEAGE else None,
        vehicle=vehicle if kind == Kind.MILEAGE else "",
        from_postcode=from_postcode.strip().upper() if kind == Kind.MILEAGE else "",
        to_postcode=to_postcode.strip().upper() if kind == Kind.MILEAGE else "",
        receipt=receipt,
    )
    record_activity(actor=actor, action="claim.item_added", target=claim, data={"kind": kind, "amount": str(amount)})
    return item


def _store_receipt(claim: Claim, upload: UploadedFile, actor: User) -> Receipt:
    try:
        checked = check_receipt(upload)
    except ReceiptError as error:
        raise ClaimError(str(error), field="receipt") from error
    receipt = Receipt(
        claim=claim,
        content_type=checked.content_type,
        original_name=(upload.name or "receipt")[:200],
        size=len(checked.content),
        uploaded_by=actor,
    )
    receipt.file.save(f"claim-{claim.pk}.{checked.extension}", ContentFile(checked.content), save=False)
    receipt.save()
    return receipt


@transaction.atomic
def remove_item(*, item: ClaimItem, actor: User) -> None:
    claim = _lock_claim(item.claim)
    _refuse(permissions.edit_claim_refusal(claim, actor))
    record_activity(actor=actor, action="claim.item_removed", target=claim, data={"kind": item.kind})
    item.delete()


@transaction.atomic
def set_fee_choice(*, claim: Claim, actor: User, choice: str, reduced_amount: Decimal | None = None) -> Claim:
    """Take the fee, a reduced amount, donate it or decline it, on this claim."""
    claim = _lock_claim(claim)
    _refuse(permissions.edit_claim_refusal(claim, actor))
    if choice not in Claim.FeeChoice.values:
        raise ClaimError("Please choose what to do with the fee.", field="choice")
    if choice == Claim.FeeChoice.REDUCED:
        if reduced_amount is None or reduced_amount <= 0 or reduced_amount.as_tuple().exponent < -2:  # type: ignore[operator]  # a finite Decimal's exponent is an int
            raise ClaimError(
                "Please give the reduced amount in pounds and pence, more than £0.00.", field="reduced_amount"
            )
        if reduced_amount > claim.fee_due:
            raise ClaimError(
                f"The reduced amount cannot be more than the fee of £{claim.fee_due}.", field="reduced_amount"
            )
        requested = reduced_amount
    else:
        requested = claim.fee_due if choice == Claim.FeeChoice.TAKE else Decimal("0.00")
    claim.fee_choice = choice
    claim.fee_requested = requested
    claim.save(update_fields=["fee_choice", "fee_requested", "updated_at"])
    record_activity(actor=actor, action="claim.fee_choice", target=claim, data={"choice": choice})
    return claim


_TRANSITIONS = {
    ClaimStatus.DRAFT: {ClaimStatus.SUBMITTED},
    ClaimStatus.RETURNED: {ClaimStatus.SUBMITTED},
    ClaimStatus.SUBMITTED: {ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.RETURNED},
    ClaimStatus.APPROVED: {ClaimStatus.PAID},
    ClaimStatus.REJECTED: set(),
    ClaimStatus.PAID: set(),
}


def _set_status(claim: Claim, status: str, *, actor: User | None, **changes: Any) -> None:
    """The one writer of ``Claim.status``."""
    if status not in _TRANSITIONS[ClaimStatus(claim.status)]:
        raise ClaimError(permissions.status_change_refusal(claim, status))
    claim.status = status
    for field, value in changes.items():
        setattr(claim, field, value)
    claim.save()
    record_activity(actor=actor, action=f"claim.{status}", target=claim, organisation=_university_of(claim))


def _set_statuses(claims: list[Claim], status: str, *, actor: User | None, **changes: Any) -> None:
    """``_set_status`` for many claims at once (the caller holds their row locks): every
    transition checked first (one refused: ClaimError, nothing changed), then one UPDATE for all
    of them and their ActivityLog rows in one insert, each as ``_set_status`` records it."""
    for claim in claims:
        if status not in _TRANSITIONS[ClaimStatus(claim.status)]:
            raise ClaimError(permissions.status_change_refusal(claim, status))
    now = timezone.now()
    Claim.objects.filter(pk__in=[claim.pk for claim in claims]).update(status=status, updated_at=now, **changes)
    for claim in claims:
        claim.status = status
        claim.updated_at = now
        for field, value in changes.items():
            setattr(claim, field, value)
    record_activities(
        actor=actor, action=f"claim.{status}", targets=[(claim, _university_of(claim)) for claim in claims]
    )


def _tell_volunteer(claim: Claim, what: str, **extra: Any) -> None:
    queue_notification(
        template_key=f"expenses/claim_{what}",
        unique_key=f"claim-{what}:{claim.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        recipient=claim.volunteer.user,
        context={
            "name": claim.volunteer.display_name,
            "reference": claim.reference,
            "session": claim.booking.session.title,
            "note": claim.decision_note,
            "total": str(claim_totals(claim)["total"]),
            "claim_url": absolute_url(reverse("expenses:claim", kwargs={"pk": claim.pk})),
            **extra,
        },
    )


@transaction.atomic
def submit_claim(*, claim: Claim, actor: User) -> Claim:
    """Send the claim for approval. It must ask for something (an expense or a fee), and its
    booking must still be attended: the booking row is locked first, so a correction of attendance
    at the same moment either comes before (and this is refused) or waits and is refused itself."""
    Booking.objects.select_for_update().only("pk").get(pk=claim.booking_id)
    claim = _lock_claim(claim)
    _refuse(permissions.submit_refusal(claim, actor, total=claim_totals(claim)["total"]))
    _set_status(claim, ClaimStatus.SUBMITTED, actor=actor, submitted_at=timezone.now(), decision_note="")
    return claim


def _locked_budget_position(claim: Claim) -> BudgetPosition:
    """The position of the budget paying for ``claim``, read after locking that budget's row
    (when it has one) until the transaction ends."""
    programme_id, year = key = budget_key(claim.booking.session)
    list(ProgrammeBudget.objects.select_for_update().filter(programme_id=programme_id, academic_year=year))
    return budget_positions([key])[key]


@transaction.atomic
def approve_claim(*, claim: Claim, actor: User, over_budget_reason: str = "") -> Claim:
    """Approve a submitted claim (not one's own). The volunteer is told by email.

    When approving it takes its programme's spent and committed past the budget for the year
    (``permissions.over_budget_refusal``), ``over_budget_reason`` is needed (else ClaimError on
    that field, nothing changed) and is recorded as ``claim.approved_over_budget`` with the
    figures. The budget row is locked after the claim, so two approvals against one budget are
    decided one after the other, each seeing the other's commitment."""
    claim = _lock_claim(claim)
    _refuse(permissions.decide_refusal(claim, actor, decision=ClaimStatus.APPROVED))
    position = _locked_budget_position(claim)
    amount = claim_totals(claim)["total"]
    _refuse(permissions.over_budget_refusal(position, amount, reason=over_budget_reason), field="over_budget_reason")
    _set_status(claim, ClaimStatus.APPROVED, actor=actor, decided_at=timezone.now(), decided_by=actor)
    if permissions.approval_goes_over_budget(position, amount):
        record_activity(
            actor=actor,
            action="claim.approved_over_budget",
            target=claim,
            organisation=_university_of(claim),
            data={
                "over_budget_reason": over_budget_reason.strip(),
                "programme": position.programme_id,
                "academic_year": position.academic_year,
                "budget": str(position.budget),
                "spent": str(position.spent),
                "committed": str(position.committed),
                "claim_total": str(amount),
            },
        )
    payee_needed = payee_reference_of(_university_of(claim), claim.volunteer_id) is None
    _tell_volunteer(claim, "approved", payee_needed=payee_needed)
    if payee_needed:
        _ask_for_payee_form(claim)
    return claim


@transaction.atomic
def reject_claim(*, claim: Claim, actor: User, reason: str) -> Claim:
    if not reason.strip():
        raise ClaimError("Please give the reason: the volunteer will read it.", field="reason")
    claim = _lock_claim(claim)
    _refuse(permissions.decide_refusal(claim, actor, decision=ClaimStatus.REJECTED))
    _set_status(
        claim,
        ClaimStatus.REJECTED,
        actor=actor,
        decided_at=timezone.now(),
        decided_by=actor,
        decision_note=reason.strip(),
    )
    _tell_volunteer(claim, "rejected")
    return claim


@transaction.atomic
def return_claim(*, claim: Claim, actor: User, note: str) -> Claim:
    """Send a claim back to the volunteer to change, saying what."""
    if not note.strip():
        raise ClaimError("Please say what needs changing: the volunteer will read it.", field="note")
    claim = _lock_claim(claim)
    _refuse(permissions.decide_refusal(claim, actor, decision=ClaimStatus.RETURNED))
    _set_status(
        claim,
        ClaimStatus.RETURNED,
        actor=actor,
        decided_at=timezone.now(),
        decided_by=actor,
        decision_note=note.strip(),
    )
    _tell_volunteer(claim, "returned")
    return claim


def _ask_for_payee_form(claim: Claim) -> None:
    """Ask the volunteer, who has no payee reference at the claim's university yet, to return its
    payee form, with the link it set: once ever per university (the outbox key)."""
    university = _university_of(claim)
    queue_notification(
        template_key="expenses/payee_form",
        unique_key=payee_form_key(university, claim.volunteer_id),
        recipient=claim.volunteer.user,
        context={
            "name": claim.volunteer.display_name,
            "university": university.name,
            "session": claim.booking.session.title,
            "form_url": FinanceSettings.for_university(university).payee_form_url,
            "claim_url": absolute_url(reverse("expenses:claim", kwargs={"pk": claim.pk})),
        },
    )


# Payee references, finance settings and cost codes -------------------------------------------------


def _lock_university(organisation: Organisation | int) -> None:
    """Lock the university's row: previewing, starting a run and changing the routes of one
    university happen one at a time."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    Organisation.objects.select_for_update().only("pk").get(pk=organisation_id)


@transaction.atomic
def record_payee_reference(
    *, organisation: Organisation, volunteer: VolunteerProfile, reference: str, actor: User
) -> PayeeReference:
    """Record (or change) the volunteer's payee reference in ``organisation``'s finance system.

    The reference has no spaces, only letters, digits and ``- / _ .``, at most 30 characters
    (``expenses.codes``), and is nobody else's at the university (compared ignoring case). Raises
    ClaimError by the ``reference`` field, changing nothing. The same reference again changes
    nothing. Records ``payee_reference.recorded`` or ``payee_reference.changed`` (old and new)."""
    _refuse(permissions.payee_reference_refusal(organisation, actor), field="reference")
    reference = codes.normalise_payee_reference(reference)
    _refuse(codes.payee_reference_problem(reference), field="reference")
    existing = PayeeReference.objects.select_for_update().filter(organisation=organisation, volunteer=volunteer).first()
    if existing is not None and existing.reference == reference:
        return existing
    taken = PayeeReference.objects.filter(organisation=organisation, reference__iexact=reference).exclude(
        volunteer=volunteer
    )
    used = (
        f"{reference} is already the payee reference of another volunteer at {organisation}. "
        "Please check it in the finance system."
    )
    if taken.exists():
        raise ClaimError(used, field="reference")
    old = existing.reference if existing is not None else ""
    try:
        with transaction.atomic():
            if existing is None:
                existing = PayeeReference.objects.create(
                    organisation=organisation, volunteer=volunteer, reference=reference, recorded_by=actor
                )
            else:
                existing.reference = reference
                existing.recorded_by = actor
                existing.save(update_fields=["reference", "recorded_by", "updated_at"])
    except IntegrityError as error:  # the same reference recorded for someone else at this moment
        raise ClaimError(used, field="reference") from error
    record_activity(
        actor=actor,
        action="payee_reference.changed" if old else "payee_reference.recorded",
        target=existing,
        organisation=organisation,
        data={"volunteer": volunteer.pk, "old": old, "new": reference},
    )
    return existing


@transaction.atomic
def update_finance_settings(
    *,
    organisation: Organisation,
    actor: User,
    fee_route: str,
    expenses_route: str,
    payee_form_url: str,
    payment_target_days: int,
) -> FinanceSettings:
    """Save how ``organisation`` pays: the route of fees and of expenses, the link to its payee
    form and its target days from a claim being sent to its payment. A route cannot change while
    a run of the university is queued or running (``permissions.route_change_refusal``, checked
    with the university locked, so a run cannot start in between). Raises ClaimError by the
    field, changing nothing. Records ``finance_settings.changed`` with each change (old, new)."""
    _refuse(permissions.finance_settings_refusal(organisation, actor), field="fee_route")
    for field, route in (("fee_route", fee_route), ("expenses_route", expenses_route)):
        if route not in PayRoute.values:
            raise ClaimError("Please choose payroll or accounts payable.", field=field)
    payee_form_url = payee_form_url.strip()
    if payee_form_url:
        try:
            URLValidator(schemes=["https"])(payee_form_url)
        except ValidationError as error:
            raise ClaimError(
                "Please give the full address of the payee form, starting with https://.", field="payee_form_url"
            ) from error
        if len(payee_form_url) > PAYEE_FORM_URL_MAX:
            raise ClaimError(
                f"The address can be at most {PAYEE_FORM_URL_MAX} characters. Please use a shorter link to the form.",
                field="payee_form_url",
            )
    if not 1 <= payment_target_days <= 365:
        raise ClaimError("Please enter a number of days from 1 to 365.", field="payment_target_days")
    _lock_university(organisation)
    found = FinanceSettings.objects.select_for_update().filter(organisation=organisation).first()
    current = found or FinanceSettings.for_university(organisation)
    wanted = {
        "fee_route": fee_route,
        "expenses_route": expenses_route,
        "payee_form_url": payee_form_url,
        "payment_target_days": payment_target_days,
    }
    changes = {
        name: [getattr(current, name), value] for name, value in wanted.items() if getattr(current, name) != value
    }
    for field in ("fee_route", "expenses_route"):
        if field in changes:
            _refuse(permissions.route_change_refusal(organisation), field=field)
    if not changes and found is not None:
        return found
    for name, value in wanted.items():
        setattr(current, name, value)
    current.updated_by = actor
    current.save()
    record_activity(
        actor=actor, action="finance_settings.changed", target=current, organisation=organisation, data=changes
    )
    return current


@transaction.atomic
def set_cost_codes(*, programme: Programme, actor: User, cost_centre: str, nominal_code: str) -> Programme:
    """Set the programme's cost centre (2 to 12 letters, digits and hyphens, stored in capitals)
    and nominal code (4 to 8 digits); either may be blank. Raises ClaimError by the field, changing
    nothing. Records ``programme.cost_codes_changed`` (old and new) when something changed."""
    programme = Programme.objects.select_for_update().select_related("university").get(pk=programme.pk)
    _refuse(permissions.cost_codes_refusal(programme.university_id, actor), field="cost_centre")
    cost_centre = codes.normalise_cost_centre(cost_centre)
    nominal_code = codes.normalise_nominal_code(nominal_code)
    _refuse(codes.cost_centre_problem(cost_centre), field="cost_centre")
    _refuse(codes.nominal_code_problem(nominal_code), field="nominal_code")
    wanted = {"cost_centre": cost_centre, "nominal_code": nominal_code}
    changes = {
        name: [getattr(programme, name), value] for name, value in wanted.items() if getattr(programme, name) != value
    }
    if not changes:
        return programme
    programme.cost_centre, programme.nominal_code = cost_centre, nominal_code
    programme.save(update_fields=["cost_centre", "nominal_code", "updated_at"])
    record_activity(
        actor=actor,
        action="programme.cost_codes_changed",
        target=programme,
        organisation=programme.university,
        data=changes,
    )
    return programme


# Reimbursement runs --------------------------------------------------------------------------------

_RUN_TRANSITIONS = {
    RunStatus.PREVIEW: {RunStatus.QUEUED},
    RunStatus.QUEUED: {RunStatus.RUNNING},
    # Running again: a resumed run after its worker died.
    RunStatus.RUNNING: {RunStatus.RUNNING, RunStatus.COMPLETED},
    RunStatus.COMPLETED: set(),
}


def _set_run_status(run: ReimbursementRun, status: str, **changes: Any) -> None:
    """The one writer of ``ReimbursementRun.status`` (the caller holds the run's row lock)."""
    if status not in _RUN_TRANSITIONS[RunStatus(run.status)]:
        raise ClaimError(f"A run that is {run.get_status_display().lower()} cannot become {status}.")
    run.status = status
    for field, value in changes.items():
        setattr(run, field, value)
    run.save()


@transaction.atomic
def preview_run(*, organisation: Organisation, actor: User) -> ReimbursementRun:
    """Make a preview of the university's next payment run: a run in status ``preview`` holding one
    line per payment it will make (every approved claim with a payee reference: its expenses and
    its fee, by their routes, with the payee reference and the programme's cost codes). Approved
    claims without a payee reference are left for later. Nothing is paid. Raises ClaimError
    (finance only, no run in progress, something ready to pay). Records ``run.previewed``."""
    _lock_university(organisation)
    _refuse(permissions.preview_run_refusal(organisation, actor), field="organisation")
    run = ReimbursementRun.objects.create(
        organisation=organisation,
        previewed_by=actor,
        status=RunStatus.PREVIEW,
        runs_started_before=started_run_count(organisation),
    )
    lines = payable_lines(organisation)
    RunLine.objects.bulk_create(
        RunLine(
            run=run,
            claim_id=line.claim_id,
            kind=line.kind,
            amount=line.amount,
            route=line.route,
            payee_reference=line.payee_reference,
            cost_centre=line.cost_centre,
            nominal_code=line.nominal_code,
        )
        for line in lines
    )
    run.claims_total = len({line.claim_id for line in lines})
    run.save(update_fields=["claims_total", "updated_at"])
    record_activity(
        actor=actor,
        action="run.previewed",
        target=run,
        organisation=organisation,
        data={"claims": run.claims_total, "lines": len(lines)},
    )
    return run


@transaction.atomic
def start_run(*, run: ReimbursementRun, actor: User) -> ReimbursementRun:
    """Start the previewed ``run``: it will pay its lines, exactly, and nothing else (a claim
    approved since waits for the next run). Refused (ClaimError) when it was started already (by
    someone else, or a second click: nothing is paid twice), while another run is in progress,
    when another run started since the preview was made, or when what it would pay has changed
    since. The university is locked first, so two starts happen one after the other. Records
    ``run.started`` and queues the run's task on commit."""
    _lock_university(run.organisation_id)
    run = ReimbursementRun.objects.select_for_update().select_related("organisation").get(pk=run.pk)
    _refuse(permissions.start_run_refusal(run, actor), field="run")
    try:
        with transaction.atomic():
            _set_run_status(run, RunStatus.QUEUED, started_by=actor, started_at=timezone.now())
    except IntegrityError as error:  # the one-at-a-time constraint
        raise ClaimError(permissions.RUN_IN_PROGRESS, field="run") from error
    record_activity(actor=actor, action="run.started", target=run, organisation=run.organisation)
    transaction.on_commit(lambda: _enqueue_run(run.pk))
    return run


def _enqueue_run(run_id: int) -> None:
    from expenses.tasks import task_execute_run

    try:
        task_execute_run.delay(run_id)
    except Exception:  # noqa: BLE001 -- the periodic resume picks the run up when the broker is back
        logger.warning("Could not queue run %s; it will be resumed.", run_id, exc_info=True)


def payment_key(claim: Claim, kind: str) -> str:
    return f"claim-{claim.pk}-{kind}"


def _remittance(claim: Claim, payments: list[Payment]) -> Outgoing:
    """The email telling the volunteer what ``payments`` paid them for ``claim``, and how."""
    return Outgoing(
        template_key="expenses/remittance",
        unique_key=f"remittance:{claim.pk}",
        recipient=claim.volunteer.user,
        context={
            "name": claim.volunteer.display_name,
            "reference": claim.reference,
            "session": claim.booking.session.title,
            "university": _university_of(claim).name,
            "lines": [
                [payment.get_kind_display(), str(payment.amount), HOW_PAID[PayRoute(payment.route)]]
                for payment in payments
            ],
            "total": str(sum((payment.amount for payment in payments), Decimal("0.00"))),
            "money_url": absolute_url(reverse("expenses:money")),
        },
    )


def _pay_claims(run: ReimbursementRun, claim_ids: list[int]) -> int:
    """Pay a batch of the run's claims inside one transaction: a Payment for each of their lines
    (with the line's amount, route, payee reference and cost codes), their status and their
    remittances together, so a crash part-way leaves the whole batch unpaid, never half paid.

    The claims still approved are locked first, in id order; one paid already (by an earlier
    attempt) is skipped, and a payment whose key exists already is not made again. A fixed number
    of queries, however many claims. Returns how many were paid."""
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update(of=("self",))
            .select_related("booking__session__module__programme__university", "volunteer__user")
            .filter(pk__in=claim_ids, status=ClaimStatus.APPROVED)
            .order_by("pk")
        )
        if not claims:
            return 0
        by_claim: dict[int, list[RunLine]] = {}
        for line in RunLine.objects.filter(run=run, claim__in=claims).order_by("claim_id", "kind"):
            by_claim.setdefault(line.claim_id, []).append(line)
        wanted = {
            payment_key(claim, line.kind): (claim, line) for claim in claims for line in by_claim.get(claim.pk, [])
        }
        existing = {payment.key: payment for payment in Payment.objects.filter(key__in=list(wanted))}
        created = Payment.objects.bulk_create(
            Payment(
                key=key,
                run=run,
                claim=claim,
                volunteer=claim.volunteer,
                kind=line.kind,
                amount=line.amount,
                route=line.route,
                payee_reference=line.payee_reference,
                cost_centre=line.cost_centre,
                nominal_code=line.nominal_code,
            )
            for key, (claim, line) in wanted.items()
            if key not in existing
        )
        payments: dict[int, list[Payment]] = {}
        for payment in [*existing.values(), *created]:
            payments.setdefault(payment.claim_id, []).append(payment)
        _set_statuses(claims, ClaimStatus.PAID, actor=None, paid_at=timezone.now())
        queue_notifications(
            _remittance(claim, sorted(payments.get(claim.pk, []), key=lambda payment: payment.kind)) for claim in claims
        )
        ReimbursementRun.objects.filter(pk=run.pk).update(
            claims_done=F("claims_done") + len(claims), updated_at=timezone.now()
        )
    return len(claims)


def execute_run(*, run_id: int) -> ReimbursementRun:
    """Pay every claim of the started run's lines, in batches of ``REIMBURSEMENT_RUN_BATCH``
    claims, each batch in its own transaction (``_pay_claims``), then mark it completed. Safe to
    run again after a crash at any point: claims already paid are skipped, a payment's key makes a
    second one impossible, and the exports are built from the payments in the database. A
    preview (never started) is left as it is. Returns the run."""
    with transaction.atomic():
        run = ReimbursementRun.objects.select_for_update().get(pk=run_id)
        if run.status in {RunStatus.COMPLETED, RunStatus.PREVIEW}:
            return run
        _set_run_status(run, RunStatus.RUNNING)
    claim_ids = list(RunLine.objects.filter(run=run).order_by("claim_id").values_list("claim_id", flat=True).distinct())
    size = settings.REIMBURSEMENT_RUN_BATCH
    for start in range(0, len(claim_ids), size):
        _pay_claims(run, claim_ids[start : start + size])
    with transaction.atomic():
        run = ReimbursementRun.objects.select_for_update().select_related("organisation").get(pk=run_id)
        _set_run_status(
            run,
            RunStatus.COMPLETED,
            claims_done=run.payments.values("claim").distinct().count(),
            finished_at=timezone.now(),
        )
        record_activity(actor=None, action="run.completed", target=run, organisation=run.organisation)
    return run


def resume_unfinished_runs() -> int:
    """Queue again every run left queued or running (its task was lost, or its worker died)."""
    stale = timezone.now() - datetime.timedelta(minutes=10)
    ids = list(
        ReimbursementRun.objects.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING], updated_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for run_id in ids:
        _enqueue_run(run_id)
    return len(ids)


# Retention -----------------------------------------------------------------------------------------


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Financial records (claims, payments, receipts) paid or decided before this moment have been
    kept for ``FINANCE_RETENTION_YEARS`` from the end of their tax year, as HMRC asks, and can go:
    the start (6 April, 00:00 UK time) of the tax year that began ``FINANCE_RETENTION_YEARS``
    before today. A claim paid on 5 April 2026 (tax year 2025/26) is kept until the end of 5 April
    2032; one paid on 6 April 2026 until the end of 5 April 2033."""
    today = timezone.localdate(now or timezone.now())
    start = tax_year_start(today - relativedelta(years=settings.FINANCE_RETENTION_YEARS))
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time(0)))


def purge_expired_finance_records(*, now: datetime.datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """Delete the paid and rejected claims of erased volunteers (with their payments, items and
    any receipts) once the finance retention period has passed since the end of the tax year in
    which they were paid or decided (``retention_cutoff``). Claims of volunteers not erased are
    never touched. Works in batches, each in its own
    transaction, so a crash loses nothing but time; running it again carries on, and once done
    it deletes nothing more. Records ``claims.retention_purged`` with the count. Returns it."""
    cutoff = retention_cutoff(now)
    expired = Claim.objects.filter(volunteer__erased_at__isnull=False).filter(
        Q(status=ClaimStatus.PAID, paid_at__lt=cutoff) | Q(status=ClaimStatus.REJECTED, decided_at__lt=cutoff)
    )
    deleted = 0
    while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            receipts = Receipt.objects.filter(claim_id__in=ids)
            delete_receipt_files_on_commit(receipts)
            Payment.objects.filter(claim_id__in=ids).delete()
            ClaimItem.objects.filter(claim_id__in=ids).delete()
            receipts.delete()
            Claim.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    if deleted:
        record_activity(actor=None, action="claims.retention_purged", data={"count": deleted})
    return deleted


def delete_receipt_files_on_commit(receipts: QuerySet[Receipt]) -> None:
    """Remove the stored files of ``receipts`` once the transaction that deletes their rows has
    committed, so a rolled-back deletion never leaves rows pointing at nothing."""
    storage: Storage = Receipt._meta.get_field("file").storage
    names = [name for name in receipts.values_list("file", flat=True) if name]

    def delete() -> None:
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)


def remove_expired_receipt_files(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """The retention rule for receipts: the file of every receipt on a claim paid, or rejected,
    before ``retention_cutoff`` is deleted from storage (once its batch has committed) and
    the row marked ``removed_at``; the claim, its items and payments stay (pseudonymised if the
    volunteer was erased, as DESIGN.md says). Receipts of claims still open are never touched. In
    batches; returns how many files were removed."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    expired = Receipt.objects.filter(removed_at__isnull=True).filter(
        Q(claim__status=ClaimStatus.PAID, claim__paid_at__lt=cutoff)
        | Q(claim__status=ClaimStatus.REJECTED, claim__decided_at__lt=cutoff)
    )

    def remove(ids: list[int]) -> None:
        receipts = Receipt.objects.filter(pk__in=ids)
        delete_receipt_files_on_commit(receipts)
        receipts.update(file="", removed_at=now)

    return in_batches(expired, remove, batch_size=batch_size)
