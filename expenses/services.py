"""Every change to claims, rate cards and payments. Volunteers are never out of pocket, never paid
twice, and never surprised."""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import has_role
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    FeeRate,
    Payment,
    PrepaidCost,
    RateCard,
    Receipt,
    ReimbursementRun,
)
from expenses.rates import add_months, car_miles_before, fee_due, mileage_amount, to_pounds
from expenses.receipts import ReceiptError, check_receipt
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.notifications import queue_notification
from sessions_app.models import Booking
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
Kind = ClaimItem.Kind
COORDINATOR = Membership.Role.COORDINATOR
FINANCE = Membership.Role.FINANCE
ADMIN = Membership.Role.ADMIN
# Kinds whose amount is typed by the volunteer; mileage is computed.
TYPED_KINDS = [kind for kind in Kind if kind != Kind.MILEAGE]
DEFAULT_RECEIPT_KINDS = [Kind.PUBLIC_TRANSPORT, Kind.TAXI, Kind.PARKING, Kind.CARER, Kind.SUPPORT_WORKER, Kind.OTHER]
EXPORT_COLUMNS = ["payment_key", "payee_reference", "amount", "description", "claim_reference"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


logger = logging.getLogger(__name__)


class ClaimError(DomainError):
    """A rule about claims or payments was broken; the message is safe to show."""


def _university_of(claim: Claim) -> Organisation:
    return claim.booking.session.module.programme.university


def payee_reference(volunteer: VolunteerProfile) -> str:
    return f"VOL-{volunteer.pk:06d}"


def _card_for(claim: Claim) -> RateCard | None:
    return RateCard.objects.in_force(_university_of(claim), timezone.localdate(claim.booking.session.starts_at))


def _lock_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("booking__session__module__programme__university", "volunteer__user")
        .get(pk=claim.pk)
    )


def _check_amount(amount: Decimal, card: RateCard | None, *, field: str = "amount") -> Decimal:
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]  # a finite Decimal's exponent is an int
        raise ClaimError("Please give the amount in pounds and pence, with at most two decimal places.")
    if amount <= 0:
        raise ClaimError("The amount must be more than £0.00.")
    ceiling = card.item_ceiling if card else Decimal("500.00")
    if amount > ceiling:
        raise ClaimError(f"£{amount} is more than the £{ceiling} a single item may be. Please check it.")
    return amount


# Rate cards ----------------------------------------------------------------------------------------


@transaction.atomic
def save_rate_card(
    *, organisation: Organisation, actor: User, fees: dict[str, tuple[str, Decimal]], **fields: Any
) -> RateCard:
    """Create the rate card taking effect on ``fields["effective_from"]``, with its fee per kind
    of session (``{kind: (basis, amount)}``). Earlier cards stay for claims about earlier sessions."""
    if not has_role(actor, [FINANCE, ADMIN], organisation):
        raise ClaimError("Only finance officers and admins of the university can set its rates.")
    if RateCard.objects.filter(organisation=organisation, effective_from=fields["effective_from"]).exists():
        raise ClaimError("There is already a rate card starting on that day.")
    money = ("car_rate", "car_rate_after_threshold", "motorcycle_rate", "bicycle_rate", "subsistence_cap")
    if any(fields.get(name, Decimal("0")) < 0 for name in money) or fields.get("item_ceiling", Decimal("1")) <= 0:
        raise ClaimError("Rates cannot be negative.")
    if any(amount < 0 for _basis, amount in fees.values()):
        raise ClaimError("Fees cannot be negative.")
    fields.setdefault("receipts_required_for", list(DEFAULT_RECEIPT_KINDS))
    card = RateCard.objects.create(organisation=organisation, created_by=actor, **fields)
    FeeRate.objects.bulk_create(
        [FeeRate(rate_card=card, kind=kind, basis=basis, amount=amount) for kind, (basis, amount) in fees.items()]
    )
    record_activity(actor=actor, action="rate_card.created", target=card, organisation=organisation)
    return card


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
        raise ClaimError("Please say what was paid for.")
    if amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ClaimError("Please give an amount more than £0.00, in pounds and pence.")
    cost = PrepaidCost.objects.create(
        booking=booking, description=description.strip(), amount=amount, recorded_by=actor
    )
    record_activity(actor=actor, action="booking.prepaid_cost", target=booking, data={"amount": str(amount)})
    return cost


# Claims --------------------------------------------------------------------------------------------


def claim_deadline(booking: Booking, card: RateCard | None) -> datetime.date:
    months = card.claim_window_months if card else 3
    return add_months(timezone.localdate(booking.session.ends_at), months)


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
    if on_behalf and not has_role(actor, [COORDINATOR, FINANCE], university):
        raise ClaimError(
            "Only the volunteer, or a coordinator or finance officer of the university, can open this claim."
        )
    if booking.status != Booking.Status.ATTENDED:
        raise ClaimError("A claim can only be made for a session the volunteer attended.")
    if Claim.objects.filter(booking=booking).exists():
        raise ClaimError("There is already a claim for this session.")
    card = RateCard.objects.in_force(university, timezone.localdate(booking.session.starts_at))
    deadline = claim_deadline(booking, card)
    if timezone.localdate() > deadline:
        raise ClaimError(
            f"Claims for this session had to be made by {deadline:%-d %B %Y}. Please contact the coordinator."
        )
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


def _check_editable(claim: Claim, actor: User) -> None:
    if not claim.is_editable:
        raise ClaimError(f"This claim is {claim.get_status_display().lower()} and can no longer be changed.")
    is_volunteer = actor.pk == claim.volunteer.user_id
    entering_paper_claim = claim.on_behalf and has_role(actor, [COORDINATOR, FINANCE], _university_of(claim))
    if not (is_volunteer or entering_paper_claim):
        raise ClaimError("Only the volunteer, or staff entering a paper claim, can change this claim.")


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
    _check_editable(claim, actor)
    card = _card_for(claim)
    session_day = timezone.localdate(claim.booking.session.starts_at)
    if kind not in Kind.values:
        raise ClaimError("Please choose what the expense was for.")
    if abs((date - session_day).days) > 7:
        raise ClaimError("The date should be the day of the session, or within a week of it.")
    if kind == Kind.TAXI:
        arrangement = BookingArrangement.objects.filter(booking=claim.booking).first()
        if arrangement is None or not arrangement.taxi_preapproved:
            raise ClaimError(
                "A taxi can only be claimed when the university agreed it before the session. "
                "Please ask the coordinator."
            )
    if kind == Kind.MILEAGE:
        if miles is None or miles <= 0:
            raise ClaimError("Please give the number of miles, more than 0.")
        if miles > 1000:
            raise ClaimError("That is more than 1,000 miles. Please check the number.")
        if miles.as_tuple().exponent < -1:  # type: ignore[operator]  # a finite Decimal's exponent is an int
            raise ClaimError("Please give the miles to one decimal place at most, for example 12.5.")
        if vehicle not in ClaimItem.Vehicle.values:
            raise ClaimError("Please choose the vehicle.")
        if not from_postcode.strip() or not to_postcode.strip():
            raise ClaimError("Please give the postcodes you travelled from and to.")
        if card is None:
            raise ClaimError("The university has no rate card for this date yet. Please contact finance.")
        before = car_miles_before(claim.volunteer, date)
        amount = mileage_amount(card=card, vehicle=vehicle, miles=miles, miles_before=before)
        if amount <= 0:  # a rate of £0.00 (a card that pays nothing for bicycles, say)
            raise ClaimError("By the university's rates these miles come to £0.00, so there is nothing to claim.")
    else:
        if amount is None:
            raise ClaimError("Please give the amount.")
        _check_amount(amount, card)
        if kind == Kind.SUBSISTENCE and card is not None:
            spent = claim.items.filter(kind=Kind.SUBSISTENCE).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            if spent + amount > card.subsistence_cap:
                raise ClaimError(f"Food and drink can be claimed up to £{card.subsistence_cap} for a session.")
    receipt = None
    required = card.receipts_required_for if card else DEFAULT_RECEIPT_KINDS
    if receipt_file is not None:
        receipt = _store_receipt(claim, receipt_file, actor)
    elif kind in required:
        raise ClaimError(f"{Kind(kind).label} needs a receipt. Please add a photo or scan of it.")
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
        raise ClaimError(str(error)) from error
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
    _check_editable(claim, actor)
    record_activity(actor=actor, action="claim.item_removed", target=claim, data={"kind": item.kind})
    item.delete()


@transaction.atomic
def set_fee_choice(*, claim: Claim, actor: User, choice: str, reduced_amount: Decimal | None = None) -> Claim:
    """Take the fee, a reduced amount, donate it or decline it, on this claim."""
    claim = _lock_claim(claim)
    _check_editable(claim, actor)
    if choice not in Claim.FeeChoice.values:
        raise ClaimError("Please choose what to do with the fee.")
    if choice == Claim.FeeChoice.REDUCED:
        if reduced_amount is None or reduced_amount <= 0 or reduced_amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ClaimError("Please give the reduced amount in pounds and pence, more than £0.00.")
        if reduced_amount > claim.fee_due:
            raise ClaimError(f"The reduced amount cannot be more than the fee of £{claim.fee_due}.")
        requested = reduced_amount
    else:
        requested = claim.fee_due if choice == Claim.FeeChoice.TAKE else Decimal("0.00")
    claim.fee_choice = choice
    claim.fee_requested = requested
    claim.save(update_fields=["fee_choice", "fee_requested", "updated_at"])
    record_activity(actor=actor, action="claim.fee_choice", target=claim, data={"choice": choice})
    return claim


def claim_totals(claim: Claim) -> dict[str, Decimal]:
    """Expenses, fee and the total to be paid (prepaid costs are shown, never added)."""
    expenses = claim.items.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    prepaid = PrepaidCost.objects.filter(booking=claim.booking_id).aggregate(total=Sum("amount"))["total"]
    return {
        "expenses": to_pounds(expenses),
        "fee": claim.fee_requested,
        "total": to_pounds(expenses + claim.fee_requested),
        "prepaid": to_pounds(prepaid or Decimal("0.00")),
    }


_VERBS = {
    ClaimStatus.DRAFT: "put back to draft",
    ClaimStatus.SUBMITTED: "submitted",
    ClaimStatus.APPROVED: "approved",
    ClaimStatus.REJECTED: "rejected",
    ClaimStatus.RETURNED: "returned for changes",
    ClaimStatus.PAID: "paid",
}
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
        raise ClaimError(
            f"This claim is {claim.get_status_display().lower()}, so it cannot be {_VERBS[ClaimStatus(status)]} now."
        )
    claim.status = status
    for field, value in changes.items():
        setattr(claim, field, value)
    claim.save()
    record_activity(actor=actor, action=f"claim.{status}", target=claim, organisation=_university_of(claim))


def _tell_volunteer(claim: Claim, what: str) -> None:
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
        },
    )


@transaction.atomic
def submit_claim(*, claim: Claim, actor: User) -> Claim:
    """Send the claim for approval. It must ask for something (an expense or a fee)."""
    claim = _lock_claim(claim)
    _check_editable(claim, actor)
    totals = claim_totals(claim)
    if totals["total"] <= 0:
        raise ClaimError("There is nothing to pay on this claim yet: add an expense, or take the fee.")
    _set_status(claim, ClaimStatus.SUBMITTED, actor=actor, submitted_at=timezone.now(), decision_note="")
    return claim


def _check_approver(claim: Claim, actor: User) -> None:
    if actor.pk == claim.volunteer.user_id:
        raise ClaimError("You cannot decide on your own claim.")
    if not has_role(actor, [COORDINATOR, FINANCE], _university_of(claim)):
        raise ClaimError("Only coordinators and finance officers of the university can decide on claims.")


@transaction.atomic
def approve_claim(*, claim: Claim, actor: User) -> Claim:
    """Approve a submitted claim (not one's own). The volunteer is told by email."""
    claim = _lock_claim(claim)
    _check_approver(claim, actor)
    _set_status(claim, ClaimStatus.APPROVED, actor=actor, decided_at=timezone.now(), decided_by=actor)
    _tell_volunteer(claim, "approved")
    return claim


@transaction.atomic
def reject_claim(*, claim: Claim, actor: User, reason: str) -> Claim:
    if not reason.strip():
        raise ClaimError("Please give the reason: the volunteer will read it.")
    claim = _lock_claim(claim)
    _check_approver(claim, actor)
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
        raise ClaimError("Please say what needs changing: the volunteer will read it.")
    claim = _lock_claim(claim)
    _check_approver(claim, actor)
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


# Reimbursement runs --------------------------------------------------------------------------------


@transaction.atomic
def start_run(*, organisation: Organisation, actor: User) -> ReimbursementRun:
    """Queue a reimbursement run for the university's approved claims (one run at a time)."""
    if not has_role(actor, [FINANCE], organisation):
        raise ClaimError("Only finance officers can start a reimbursement run.")
    if ReimbursementRun.objects.filter(
        organisation=organisation, status__in=[ReimbursementRun.Status.QUEUED, ReimbursementRun.Status.RUNNING]
    ).exists():
        raise ClaimError("A run is already in progress. Please wait for it to finish.")
    waiting = Claim.objects.for_university([organisation.pk]).filter(status=ClaimStatus.APPROVED).count()
    if waiting == 0:
        raise ClaimError("There are no approved claims waiting to be paid.")
    try:
        with transaction.atomic():
            run = ReimbursementRun.objects.create(organisation=organisation, started_by=actor, claims_total=waiting)
    except IntegrityError as error:
        raise ClaimError("A run is already in progress. Please wait for it to finish.") from error
    record_activity(actor=actor, action="run.started", target=run, organisation=organisation)
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


def _pay_claim(run: ReimbursementRun, claim_id: int) -> bool:
    """Pay one approved claim inside one transaction: its payments and its status together.

    Returns False when the claim is no longer approved (paid by an earlier attempt)."""
    with transaction.atomic():
        claim = _lock_claim(Claim(pk=claim_id))
        if claim.status != ClaimStatus.APPROVED:
            return False
        totals = claim_totals(claim)
        for kind, amount in ((Payment.Kind.EXPENSES, totals["expenses"]), (Payment.Kind.FEE, claim.fee_requested)):
            if amount > 0:
                Payment.objects.get_or_create(
                    key=payment_key(claim, kind),
                    defaults={
                        "run": run,
                        "claim": claim,
                        "volunteer": claim.volunteer,
                        "kind": kind,
                        "amount": amount,
                    },
                )
        _set_status(claim, ClaimStatus.PAID, actor=None, paid_at=timezone.now())
        payments = list(claim.payments.all())
        queue_notification(
            template_key="expenses/remittance",
            unique_key=f"remittance:{claim.pk}",
            recipient=claim.volunteer.user,
            context={
                "name": claim.volunteer.display_name,
                "reference": claim.reference,
                "session": claim.booking.session.title,
                "lines": [[payment.get_kind_display(), str(payment.amount)] for payment in payments],
                "total": str(sum((payment.amount for payment in payments), Decimal("0.00"))),
                "money_url": absolute_url(reverse("expenses:money")),
            },
        )
        ReimbursementRun.objects.filter(pk=run.pk).update(claims_done=F("claims_done") + 1, updated_at=timezone.now())
    return True


def execute_run(*, run_id: int) -> ReimbursementRun:
    """Pay every approved claim of the run's university, each in its own transaction, then write
    the finance export. Safe to run again after a crash at any point: claims already paid are
    skipped, a payment's key makes a second one impossible, and the export is rebuilt from the
    payments in the database. Returns the completed run."""
    with transaction.atomic():
        run = ReimbursementRun.objects.select_for_update().get(pk=run_id)
        if run.status == ReimbursementRun.Status.COMPLETED:
            return run
        run.status = ReimbursementRun.Status.RUNNING
        run.save(update_fields=["status", "updated_at"])
    claim_ids = list(
        Claim.objects.for_university([run.organisation_id])
        .filter(status=ClaimStatus.APPROVED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for claim_id in claim_ids:
        _pay_claim(run, claim_id)
    with transaction.atomic():
        run = ReimbursementRun.objects.select_for_update().get(pk=run_id)
        run.export_csv = finance_export(run)
        run.claims_done = run.payments.values("claim").distinct().count()
        run.claims_total = max(run.claims_total, run.claims_done)
        run.status = ReimbursementRun.Status.COMPLETED
        run.finished_at = timezone.now()
        run.save()
        record_activity(actor=None, action="run.completed", target=run, organisation=run.organisation)
    return run


def resume_unfinished_runs() -> int:
    """Queue again every run left queued or running (its task was lost, or its worker died)."""
    stale = timezone.now() - datetime.timedelta(minutes=10)
    ids = list(
        ReimbursementRun.objects.filter(
            status__in=[ReimbursementRun.Status.QUEUED, ReimbursementRun.Status.RUNNING], updated_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for run_id in ids:
        _enqueue_run(run_id)
    return len(ids)


def neutralise(cell: str) -> str:
    """Stop a spreadsheet reading a cell as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def finance_export(run: ReimbursementRun) -> str:
    """The run's payments as CSV for the finance system, keyed by payment. No health data."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    payments = run.payments.select_related("claim__booking__session", "volunteer").order_by("key")
    for payment in payments:
        description = f"{payment.get_kind_display()}: {payment.claim.booking.session.title}"
        writer.writerow(
            [
                neutralise(value)
                for value in (
                    payment.key,
                    payee_reference(payment.volunteer),
                    f"{payment.amount:.2f}",
                    description,
                    payment.claim.reference,
                )
            ]
        )
    return output.getvalue()


# Statements ----------------------------------------------------------------------------------------


def paid_by_tax_year(volunteer: VolunteerProfile) -> list[dict[str, Any]]:
    """What the volunteer was paid in each UK tax year (6 April to 5 April), fees and expenses
    apart, summed in the database. Newest year first."""
    payments = Payment.objects.filter(volunteer=volunteer)
    rows = (
        payments.annotate(year=ExtractYear("paid_on"), month=ExtractMonth("paid_on"), day=ExtractDay("paid_on"))
        .annotate(
            tax_year=Case(
                When(Q(month__gt=4) | Q(month=4, day__gte=6), then=F("year")),
                default=F("year") - 1,
            )
        )
        .values("tax_year")
        .annotate(
            fees=Sum("amount", filter=Q(kind=Payment.Kind.FEE)),
            expenses=Sum("amount", filter=Q(kind=Payment.Kind.EXPENSES)),
        )
        .order_by("-tax_year")
    )
    return [
        {
            "label": f"{row['tax_year']}/{str(row['tax_year'] + 1)[-2:]}",
            "start": datetime.date(row["tax_year"], 4, 6),
            "end": datetime.date(row["tax_year"] + 1, 4, 5),
            # SQLite sums decimals as floats ("25", "3.10000000000000"): back to pounds and pence.
            "fees": to_pounds(row["fees"] or Decimal("0")),
            "expenses": to_pounds(row["expenses"] or Decimal("0")),
            "total": to_pounds((row["fees"] or Decimal("0")) + (row["expenses"] or Decimal("0"))),
        }
        for row in rows
    ]


def volunteers_claimable_bookings(volunteer: VolunteerProfile) -> Iterable[Booking]:
    """Attended bookings without a claim yet, newest first."""
    return (
        Booking.objects.filter(volunteer=volunteer, status=Booking.Status.ATTENDED, claim__isnull=True)
        .select_related("session__module__programme__university")
        .order_by("-session__starts_at")
    )
