"""Every change to claims, rate cards and payments. Volunteers are never out of pocket, never paid
twice, and never surprised."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from expenses import permissions
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
from expenses.rates import (
    car_miles_before,
    claim_deadline,
    fee_due,
    mileage_amount,
    receipt_kinds,
)
from expenses.receipts import ReceiptError, check_receipt
from expenses.selectors import approved_claims, claim_totals, rate_card_for_session, run_payments
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.exports import write_csv
from involvement.links import absolute_url
from involvement.notifications import queue_notification
from sessions_app.models import Booking
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
Kind = ClaimItem.Kind
EXPORT_COLUMNS = ["payment_key", "payee_reference", "amount", "description", "claim_reference"]
# Claims the retention purge deletes in one transaction.
PURGE_BATCH = 200


logger = logging.getLogger(__name__)


class ClaimError(DomainError):
    """A rule about claims or payments was broken; the message is safe to show."""


def _university_of(claim: Claim) -> Organisation:
    return claim.booking.session.module.programme.university


def payee_reference(volunteer: VolunteerProfile) -> str:
    return f"VOL-{volunteer.pk:06d}"


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
    """Send the claim for approval. It must ask for something (an expense or a fee), and its
    booking must still be attended: the booking row is locked first, so a correction of attendance
    at the same moment either comes before (and this is refused) or waits and is refused itself."""
    Booking.objects.select_for_update().only("pk").get(pk=claim.booking_id)
    claim = _lock_claim(claim)
    _refuse(permissions.submit_refusal(claim, actor, total=claim_totals(claim)["total"]))
    _set_status(claim, ClaimStatus.SUBMITTED, actor=actor, submitted_at=timezone.now(), decision_note="")
    return claim


@transaction.atomic
def approve_claim(*, claim: Claim, actor: User) -> Claim:
    """Approve a submitted claim (not one's own). The volunteer is told by email."""
    claim = _lock_claim(claim)
    _refuse(permissions.decide_refusal(claim, actor, decision=ClaimStatus.APPROVED))
    _set_status(claim, ClaimStatus.APPROVED, actor=actor, decided_at=timezone.now(), decided_by=actor)
    _tell_volunteer(claim, "approved")
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


# Reimbursement runs --------------------------------------------------------------------------------


@transaction.atomic
def start_run(*, organisation: Organisation, actor: User) -> ReimbursementRun:
    """Queue a reimbursement run for the university's approved claims (one run at a time)."""
    waiting = approved_claims([organisation.pk]).count()
    _refuse(permissions.start_run_refusal(organisation, actor, waiting=waiting), field="organisation")
    try:
        with transaction.atomic():
            run = ReimbursementRun.objects.create(organisation=organisation, started_by=actor, claims_total=waiting)
    except IntegrityError as error:
        raise ClaimError(permissions.RUN_IN_PROGRESS, field="organisation") from error
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
    claim_ids = list(approved_claims([run.organisation_id]).order_by("pk").values_list("pk", flat=True))
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


def finance_export(run: ReimbursementRun) -> str:
    """The run's payments as CSV for the finance system, keyed by payment. No health data; no
    cell a spreadsheet would run as a formula (``involvement.exports``)."""
    return write_csv(
        EXPORT_COLUMNS,
        (
            (
                payment.key,
                payee_reference(payment.volunteer),
                f"{payment.amount:.2f}",
                f"{payment.get_kind_display()}: {payment.claim.booking.session.title}",
                payment.claim.reference,
            )
            for payment in run_payments(run)
        ),
    )


# Retention -----------------------------------------------------------------------------------------


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Paid and rejected claims of erased volunteers decided or paid before this moment have been
    kept for ``FINANCE_RETENTION_YEARS`` and can go."""
    return (now or timezone.now()) - relativedelta(years=settings.FINANCE_RETENTION_YEARS)


def purge_expired_finance_records(*, now: datetime.datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """Delete the paid and rejected claims of erased volunteers (with their payments, items and
    any receipts) once the finance retention period has passed since they were paid or decided.
    Claims of volunteers not erased are never touched. Works in batches, each in its own
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
