"""Reads for the money pages: the user-scoped querysets every claim, receipt and booking comes
through, the lists and reports the pages show (their joins decided here), and the rate card a
session is priced on. Another university's claim, or another volunteer's, is simply not in these
querysets, so a guessed id gives 404."""

from __future__ import annotations

import datetime
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import organisations_with_role
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    Payment,
    PrepaidCost,
    RateCard,
    Receipt,
    ReimbursementRun,
)
from expenses.rates import claim_deadline, to_pounds
from sessions_app.models import Booking, TeachingSession
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
RunStatus = ReimbursementRun.Status
# Who approves claims (and may see them): the coordinators and finance officers of the university.
APPROVER_ROLES = (Membership.Role.COORDINATOR, Membership.Role.FINANCE)
UNIVERSITY_OF_CLAIM = "booking__session__module__programme__university_id"
# Claims someone is waiting on: for a decision, or for the payment run.
WAITING = {ClaimStatus.SUBMITTED, ClaimStatus.APPROVED}
CLAIM_PAGE_JOINS = ("booking__session__module__programme__university", "volunteer__user", "opened_by", "decided_by")


# The rate card in force ---------------------------------------------------------------------------


def _card_key(session: TeachingSession) -> tuple[int, datetime.date]:
    return session.module.programme.university_id, timezone.localdate(session.starts_at)


def rate_card_for_session(session: TeachingSession) -> RateCard | None:
    """The card a claim about ``session`` is priced on: its university's card in force on the
    session's (UK) day (``RateCard.objects.in_force``)."""
    return RateCard.objects.in_force(*_card_key(session))


def rate_cards_for_sessions(sessions: Iterable[TeachingSession]) -> dict[int, RateCard | None]:
    """``rate_card_for_session`` for many sessions at once (by session id), in one query."""
    keys = {session.pk: _card_key(session) for session in sessions}
    cards = RateCard.objects.in_force_on(keys.values())
    return {pk: cards[key] for pk, key in keys.items()}


# Who sees which claims ----------------------------------------------------------------------------


def approver_universities(user: User) -> list[int]:
    """The organisations where ``user`` coordinates or does finance."""
    return organisations_with_role(user, APPROVER_ROLES)


def claims_for_approver(user: User) -> QuerySet[Claim]:
    """Claims about sessions of the universities where ``user`` coordinates or does finance."""
    return Claim.objects.for_university(approver_universities(user))


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """The user's own claims as a volunteer, and the claims they may approve."""
    approver_of = Q(**{f"{UNIVERSITY_OF_CLAIM}__in": approver_universities(user)})
    return Claim.objects.filter(Q(volunteer__user=user) | approver_of)


def with_claim_page_joins(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """What a page about one claim shows of it: the session and its university, the volunteer,
    who opened it and who decided."""
    return claims.select_related(*CLAIM_PAGE_JOINS)


def receipts_visible_to(user: User) -> QuerySet[Receipt]:
    """The receipts of the claims ``claims_visible_to`` gives the user."""
    return Receipt.objects.filter(claim__in=claims_visible_to(user))


def own_bookings(profile: VolunteerProfile) -> QuerySet[Booking]:
    """The volunteer's bookings, with the session, its university and the volunteer."""
    return Booking.objects.filter(volunteer=profile).select_related(
        "session__module__programme__university", "volunteer__user"
    )


def universities_among(organisation_ids: Iterable[int]) -> QuerySet[Organisation]:
    """Those of these organisations that are universities, by name."""
    return Organisation.objects.filter(pk__in=list(organisation_ids), kind=Organisation.Kind.UNIVERSITY).order_by(
        "name"
    )


def approver_bookings(university_ids: list[int]) -> QuerySet[Booking]:
    """Bookings into sessions of these universities, with the session and the volunteer."""
    return Booking.objects.filter(session__module__programme__university_id__in=university_ids).select_related(
        "session__module__programme__university", "volunteer__user"
    )


# One claim ----------------------------------------------------------------------------------------


def claim_of(booking: Booking) -> Claim | None:
    """The booking's claim, if one was opened."""
    return Claim.objects.filter(booking=booking).first()


def claim_items(claim: Claim) -> QuerySet[ClaimItem]:
    return claim.items.select_related("receipt")


def prepaid_costs(booking: Booking | int) -> QuerySet[PrepaidCost]:
    """What the university paid itself for ``booking``, in the order recorded."""
    return PrepaidCost.objects.filter(booking=booking).select_related("recorded_by")


def arrangement_of(booking: Booking) -> BookingArrangement | None:
    return BookingArrangement.objects.filter(booking=booking).first()


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


# The volunteer's money page -----------------------------------------------------------------------


def volunteers_claimable_bookings(volunteer: VolunteerProfile) -> QuerySet[Booking]:
    """Attended bookings without a claim yet, newest first."""
    return (
        Booking.objects.filter(volunteer=volunteer, status=Booking.Status.ATTENDED, claim__isnull=True)
        .select_related("session__module__programme__university", "volunteer")
        .order_by("-session__starts_at")
    )


@dataclass(frozen=True)
class Claimable:
    booking: Booking
    deadline: datetime.date


def claimable_sessions(profile: VolunteerProfile) -> list[Claimable]:
    """Attended sessions without a claim, each with its claim deadline (the rate cards of their
    universities read in one query)."""
    bookings = list(volunteers_claimable_bookings(profile))
    cards = rate_cards_for_sessions(booking.session for booking in bookings)
    return [
        Claimable(booking=booking, deadline=claim_deadline(booking, cards[booking.session_id])) for booking in bookings
    ]


def own_claims(profile: VolunteerProfile) -> QuerySet[Claim]:
    """The volunteer's claims, newest session first, each with its total (expenses and fee)."""
    expenses = Coalesce(Sum("items__amount"), Value(Decimal("0.00")), output_field=DecimalField())
    return (
        Claim.objects.filter(volunteer=profile)
        .select_related("booking__session")
        .annotate(total=expenses + F("fee_requested"))
        .order_by("-booking__session__starts_at", "-pk")
    )


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


def statement_payments(volunteer: VolunteerProfile, start: datetime.date, end: datetime.date) -> QuerySet[Payment]:
    """The volunteer's payments from ``start`` to ``end`` (inclusive), with their claim's session
    and the university that paid, in the order paid."""
    return (
        Payment.objects.filter(volunteer=volunteer, paid_on__gte=start, paid_on__lte=end)
        .select_related("claim__booking__session__module__programme__university")
        .order_by("paid_on", "key")
    )


# The approvers' queue -----------------------------------------------------------------------------


def approval_cutoffs(university_ids: list[int], now: datetime.datetime) -> dict[int, datetime.datetime]:
    """For each university: a claim submitted before this moment is overdue. The target days come
    from the card in force today, all read in one query (a university without a card has the
    card's default target)."""
    default = RateCard._meta.get_field("approval_target_days").get_default()
    today = timezone.localdate(now)
    cards = RateCard.objects.in_force_on((pk, today) for pk in university_ids)
    return {
        pk: now - datetime.timedelta(days=default if card is None else card.approval_target_days)
        for (pk, _day), card in cards.items()
    }


def queue_rows(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Each claim with its volunteer and session, its university's id, and its expenses and total
    (expenses and the fee taken) summed by the database: one query for the whole page."""
    expenses = Coalesce(
        Sum("items__amount"), Value(Decimal("0.00")), output_field=DecimalField(max_digits=12, decimal_places=2)
    )
    return (
        claims.select_related("volunteer__user", "booking__session")
        .annotate(university_pk=F(UNIVERSITY_OF_CLAIM), expenses_total=expenses)
        .annotate(total=F("expenses_total") + F("fee_requested"))
    )


def overdue(claims: QuerySet[Claim], cutoffs: dict[int, datetime.datetime]) -> QuerySet[Claim]:
    """Submitted claims waiting longer than their university's target. ``claims`` must carry the
    ``university_pk`` annotation of ``queue_rows``."""
    late = [Q(university_pk=pk, submitted_at__lt=cutoff) for pk, cutoff in cutoffs.items()]
    return claims.filter(Q(status=ClaimStatus.SUBMITTED) & functools.reduce(operator.or_, late, Q(pk__in=[])))


def days_waiting(claim: Claim, today: datetime.date) -> int | None:
    """Days since submission while the claim waits for a decision or for payment (else None)."""
    if claim.status not in WAITING or claim.submitted_at is None:
        return None
    return (today - timezone.localdate(claim.submitted_at)).days


def with_waiting(claims: Iterable[Claim], cutoffs: dict[int, datetime.datetime], now: datetime.datetime) -> list[Claim]:
    """The queue's rows (from ``queue_rows``), each told its ``days_waiting`` and whether it
    ``is_overdue``, for the template."""
    rows = list(claims)
    today = timezone.localdate(now)
    for claim in rows:
        cutoff = cutoffs[claim.university_pk]  # type: ignore[attr-defined]  # annotated by queue_rows
        submitted_at = claim.submitted_at
        claim.days_waiting = days_waiting(claim, today)  # type: ignore[attr-defined]  # for the template
        claim.is_overdue = (  # type: ignore[attr-defined]  # for the template
            claim.status == ClaimStatus.SUBMITTED and submitted_at is not None and submitted_at < cutoff
        )
    return rows


# Finance ------------------------------------------------------------------------------------------


def rate_cards_of(university_ids: list[int]) -> list[RateCard]:
    """The universities' cards with their fees, by university, newest first (two queries)."""
    return list(
        RateCard.objects.filter(organisation__in=university_ids)
        .prefetch_related("fee_rates")
        .order_by("organisation_id", "-effective_from")
    )


def latest_rate_card(organisation: Organisation) -> RateCard | None:
    """The card that starts last, with its fees: where a new card starts from."""
    return (
        RateCard.objects.filter(organisation=organisation)
        .prefetch_related("fee_rates")
        .order_by("-effective_from")
        .first()
    )


@dataclass(frozen=True)
class Waiting:
    """A university's approved claims waiting for a run, and what they come to."""

    university: Organisation
    claims: int
    total: Decimal


def approved_claims(university_ids: list[int]) -> QuerySet[Claim]:
    """Approved claims of these universities: what the next payment run pays."""
    return Claim.objects.for_university(university_ids).filter(status=ClaimStatus.APPROVED)


def waiting_by_university(universities: list[Organisation]) -> list[Waiting]:
    """Approved claims and their total (expenses and fees) per university, in two queries."""
    approved = approved_claims([university.pk for university in universities])
    claims = {
        row["university"]: row
        for row in approved.values(university=F(UNIVERSITY_OF_CLAIM)).annotate(
            count=Count("pk"), fees=Sum("fee_requested")
        )
    }
    expenses = {
        row["university"]: row["total"]
        for row in ClaimItem.objects.filter(claim__in=approved)
        .values(university=F(f"claim__{UNIVERSITY_OF_CLAIM}"))
        .annotate(total=Sum("amount"))
    }
    waiting = []
    for university in universities:
        row = claims.get(university.pk, {})
        total = (row.get("fees") or Decimal("0.00")) + (expenses.get(university.pk) or Decimal("0.00"))
        waiting.append(Waiting(university, row.get("count", 0), total))
    return waiting


def runs_of(university_ids: list[int]) -> QuerySet[ReimbursementRun]:
    """The payment runs of these universities, with who started them."""
    return ReimbursementRun.objects.filter(organisation__in=university_ids).select_related("organisation", "started_by")


def run_in_progress(organisation: Organisation | int) -> bool:
    """Whether a run of ``organisation`` is queued or running (only one may be at a time)."""
    return ReimbursementRun.objects.filter(
        organisation=organisation, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists()


def runs_in_progress(university_ids: list[int]) -> set[int]:
    """Which of these universities have a run queued or running, in one query."""
    return set(
        ReimbursementRun.objects.filter(
            organisation__in=university_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).values_list("organisation_id", flat=True)
    )


def run_payments(run: ReimbursementRun) -> QuerySet[Payment]:
    """The run's payments by key, with the volunteer and the claim's session (for the export)."""
    return run.payments.select_related("volunteer", "claim__booking__session").order_by("key")
