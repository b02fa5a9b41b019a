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

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.permissions import organisations_with_role
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
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
from expenses.rates import claim_deadline, to_pounds
from involvement.functions import DaysBetween
from involvement.models import Notification
from involvement.periods import academic_year, academic_year_label, academic_year_start
from sessions_app.clock import LONDON
from sessions_app.models import Booking, Programme, TeachingSession
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
RunStatus = ReimbursementRun.Status
# Who approves claims (and may see them): the coordinators and finance officers of the university.
APPROVER_ROLES = (Membership.Role.COORDINATOR, Membership.Role.FINANCE)
UNIVERSITY_OF_CLAIM = "booking__session__module__programme__university_id"
# Claims someone is waiting on: for a decision, or for the payment run.
WAITING = {ClaimStatus.SUBMITTED, ClaimStatus.APPROVED}
CLAIM_PAGE_JOINS = ("booking__session__module__programme__university", "volunteer__user", "opened_by", "decided_by")
PROGRAMME_OF_CLAIM = "booking__session__module__programme"
# Runs that have started (or finished): a preview is not one.
STARTED = [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.COMPLETED]
MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)


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


def claim_expenses() -> Coalesce:
    """The sum of an (outer) claim's items, as a correlated subquery (£0.00 without items): the
    database works it out for the rows it returns, after the filter, sort and LIMIT, and a count
    of the claims leaves it out (a join and GROUP BY would sum every claim's items first)."""
    total = ClaimItem.objects.filter(claim=OuterRef("pk")).order_by().values("claim").annotate(total=Sum("amount"))
    return Coalesce(Subquery(total.values("total"), output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


def queue_rows(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Each claim with its volunteer and session (with its module and programme, whose budget pays
    for it), its university's id, and its expenses and total (expenses and the fee taken) summed
    by the database (``claim_expenses``, for the page's rows only): one query for the whole page."""
    return (
        claims.select_related("volunteer__user", "booking__session__module__programme")
        .annotate(university_pk=F(UNIVERSITY_OF_CLAIM), expenses_total=claim_expenses())
        .annotate(total=ExpressionWrapper(F("expenses_total") + F("fee_requested"), output_field=MONEY))
    )


# What a row of the approvers' queue shows of a claim, its volunteer and its session.
QUEUE_PAGE_FIELDS = (
    "status",
    "on_behalf",
    "fee_requested",
    "submitted_at",
    "decided_at",
    "paid_at",
    "created_at",
    "volunteer__preferred_name",
    "volunteer__user__name",
    "volunteer__user__email",
    "booking__session__title",
    "booking__session__starts_at",
    "booking__session__module__programme__name",
)


def queue_page_rows(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """``queue_rows`` with only the columns the queue's table shows (``QUEUE_PAGE_FIELDS``): the
    page reads fifty claims with their volunteers and sessions, not their whole rows."""
    return queue_rows(claims).only(*QUEUE_PAGE_FIELDS)


def overdue(claims: QuerySet[Claim], cutoffs: dict[int, datetime.datetime]) -> QuerySet[Claim]:
    """Submitted claims waiting longer than their university's target. ``claims`` must carry the
    ``university_pk`` annotation of ``queue_rows``."""
    late = [Q(university_pk=pk, submitted_at__lt=cutoff) for pk, cutoff in cutoffs.items()]
    return claims.filter(Q(status=ClaimStatus.SUBMITTED) & functools.reduce(operator.or_, late, Q(pk__in=[])))


def with_waiting(claims: Iterable[Claim], cutoffs: dict[int, datetime.datetime]) -> list[Claim]:
    """The queue's rows (from ``queue_rows``), each told whether it ``is_overdue`` for a decision,
    for the template. (How long each has waited is ``with_days_to_payment``.)"""
    rows = list(claims)
    for claim in rows:
        cutoff = cutoffs[claim.university_pk]  # type: ignore[attr-defined]  # annotated by queue_rows
        submitted_at = claim.submitted_at
        claim.is_overdue = (  # type: ignore[attr-defined]  # for the template
            claim.status == ClaimStatus.SUBMITTED and submitted_at is not None and submitted_at < cutoff
        )
    return rows


# Days to payment ----------------------------------------------------------------------------------

# Claims whose days to payment are counted: sent and waiting for a decision or for the payment run,
# or paid. A draft has not been sent; a returned claim is with the volunteer (sending it again
# starts the count again, from that day); a rejected claim will not be paid.
COUNTED_TO_PAYMENT = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID)
QUEUE_SORTS_BY_DAYS = (F("days_to_payment").desc(nulls_last=True), F("submitted_at").asc(nulls_last=True), "pk")


def days_to_payment(today: datetime.date) -> Case:
    """A claim's days to payment, as a database expression: UK calendar days (Europe/London dates,
    so the clock changes neither add nor lose a day) from the day it was sent to the day it was
    paid, or to ``today`` while it waits; None for a claim not counted (``COUNTED_TO_PAYMENT``)."""
    sent = TruncDate("submitted_at", tzinfo=LONDON)
    paid_or_today = Coalesce(TruncDate("paid_at", tzinfo=LONDON), Value(today, output_field=DateField()))
    return Case(
        When(status__in=COUNTED_TO_PAYMENT, submitted_at__isnull=False, then=DaysBetween(paid_or_today, sent)),
        default=None,
        output_field=IntegerField(),
    )


def with_days_to_payment(claims: QuerySet[Claim], today: datetime.date) -> QuerySet[Claim]:
    """Each claim with its ``days_to_payment`` (``days_to_payment``, by ``today``), its
    university's ``payment_target_days`` (its FinanceSettings, or the default) and whether it is
    ``past_payment_target`` (more days than the target), all in the claims' own query, so a
    list can sort and filter by them."""
    default = FinanceSettings._meta.get_field("payment_target_days").get_default()
    target = FinanceSettings.objects.filter(organisation_id=OuterRef(UNIVERSITY_OF_CLAIM)).values(
        "payment_target_days"
    )[:1]
    return claims.annotate(
        days_to_payment=days_to_payment(today),
        payment_target_days=Coalesce(Subquery(target), Value(default), output_field=IntegerField()),
    ).annotate(
        past_payment_target=Case(
            When(days_to_payment__gt=F("payment_target_days"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


# Budgets ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetPosition:
    """A programme's involvement budget for one academic year (from 1 September
    ``academic_year``): the ``budget`` (None: no budget set, so no limit), what was ``spent`` (paid)
    and what is ``committed`` (approved, not yet paid), for claims about sessions starting that
    year, UK time."""

    programme_id: int
    programme: str
    academic_year: int
    budget: Decimal | None
    spent: Decimal
    committed: Decimal

    @property
    def year_label(self) -> str:
        return academic_year_label(self.academic_year)

    @property
    def used(self) -> Decimal:
        """Spent and committed together."""
        return self.spent + self.committed

    @property
    def remaining(self) -> Decimal | None:
        """What is left of the budget (negative once over it); None without a budget."""
        return None if self.budget is None else self.budget - self.used

    @property
    def over_by(self) -> Decimal:
        """How far spent and committed are past the budget (£0.00 within it, or without one)."""
        return max(-(self.remaining or Decimal("0.00")), Decimal("0.00"))

    def after(self, amount: Decimal) -> Decimal:
        """Spent and committed once ``amount`` more is committed (a claim approved)."""
        return self.used + amount


def budget_key(session: TeachingSession) -> tuple[int, int]:
    """The (programme id, academic year) whose budget pays for claims about ``session``: its
    programme, in the academic year of its start (a UK date). ``session.module`` is read."""
    return session.module.programme_id, academic_year_start(timezone.localdate(session.starts_at, LONDON))


def _programme_total(rows: QuerySet[Any], programme_path: str, amount: str | ExpressionWrapper) -> Coalesce:
    """The sum of ``amount`` over ``rows`` (narrowed to the outer programme by ``programme_path``),
    as a subquery: £0.00 when there are none."""
    total = rows.order_by().values(programme_path).annotate(total=Sum(amount)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


def _budget_annotations(year: int, suffix: str = "") -> dict[str, Any]:
    """The annotations of ``with_budget_position`` for the academic year from 1 September
    ``year``, named ``budget``, ``budget_spent`` and ``budget_committed`` followed by ``suffix``."""
    period = academic_year(year)

    def sessions_of_programme(session: str) -> dict[str, Any]:
        return {
            f"{session}__module__programme": OuterRef("pk"),
            f"{session}__starts_at__gte": period.starts_at,
            f"{session}__starts_at__lt": period.ends_before,
        }

    # Unordered: the model's ordering would join the programme again for every row.
    budget = (
        ProgrammeBudget.objects.filter(programme=OuterRef("pk"), academic_year=year).order_by().values("amount")[:1]
    )
    spent = _programme_total(
        Payment.objects.filter(**sessions_of_programme("claim__booking__session")),
        f"claim__{PROGRAMME_OF_CLAIM}",
        "amount",
    )
    # The fee and the expenses of each approved claim, in one pass over the programme's claims.
    committed = _programme_total(
        Claim.objects.filter(status=ClaimStatus.APPROVED, **sessions_of_programme("booking__session")),
        PROGRAMME_OF_CLAIM,
        ExpressionWrapper(F("fee_requested") + claim_expenses(), output_field=MONEY),
    )
    return {
        f"budget{suffix}": Subquery(budget, output_field=MONEY),
        f"budget_spent{suffix}": spent,
        f"budget_committed{suffix}": committed,
    }


def with_budget_position(programmes: QuerySet[Programme], year: int) -> QuerySet[Programme]:
    """Each programme with its ``budget`` for the academic year from 1 September ``year`` (None:
    none set), ``budget_spent`` (the payments of claims about its sessions starting in that year,
    UK time) and ``budget_committed`` (approved claims about those sessions, not yet paid: their
    expenses and the fee taken), all summed by the database in the programmes' own query. Read
    them through ``budget_position``, which gives exact pounds and pence (SQLite sums decimals as
    floats) and what remains (an annotation for it would make the database work out the three
    subqueries twice)."""
    return programmes.annotate(**_budget_annotations(year))


def budget_position(programme: Programme, year: int, suffix: str = "") -> BudgetPosition:
    """The position of a programme from ``with_budget_position(..., year)`` (or from the
    annotations of that year named with ``suffix``)."""
    budget = getattr(programme, f"budget{suffix}")
    return BudgetPosition(
        programme_id=programme.pk,
        programme=programme.name,
        academic_year=year,
        budget=None if budget is None else to_pounds(budget),
        spent=to_pounds(getattr(programme, f"budget_spent{suffix}")),
        committed=to_pounds(getattr(programme, f"budget_committed{suffix}")),
    )


def budget_positions(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], BudgetPosition]:
    """The position of each (programme id, academic year) in ``keys``, in one query: the
    programmes with the annotations of each academic year among them."""
    by_year: dict[int, set[int]] = {}
    for programme_id, year in keys:
        by_year.setdefault(year, set()).add(programme_id)
    if not by_year:
        return {}
    annotations: dict[str, Any] = {}
    for year, wanted in by_year.items():
        # Each year's sums only for the programmes asked about in that year (a CASE runs its
        # subqueries only for the rows that take its branch).
        for name, total in _budget_annotations(year, suffix=f"_{year}").items():
            annotations[name] = Case(When(pk__in=sorted(wanted), then=total), default=None, output_field=MONEY)
    programme_ids = set().union(*by_year.values())
    positions = {}
    for programme in Programme.objects.filter(pk__in=programme_ids).annotate(**annotations):
        for year, wanted in sorted(by_year.items()):
            if programme.pk in wanted:
                positions[(programme.pk, year)] = budget_position(programme, year, suffix=f"_{year}")
    return positions


def claim_budget_position(claim: Claim) -> BudgetPosition:
    """The position of the budget that pays for ``claim`` (``budget_key``): one query."""
    key = budget_key(claim.booking.session)
    return budget_positions([key])[key]


def budget_positions_of_claims(claims: QuerySet[Claim]) -> dict[int, BudgetPosition]:
    """For each of ``claims`` (by claim id), the position of the budget that pays for it, in two
    queries. A claim to be paid whose programme is past its budget has ``position.over_by > 0``
    (``permissions.is_over_budget``)."""
    rows = list(claims.order_by().values_list("pk", f"{PROGRAMME_OF_CLAIM}_id", "booking__session__starts_at"))
    keys = {
        pk: (programme_id, academic_year_start(timezone.localdate(starts_at, LONDON)))
        for pk, programme_id, starts_at in rows
    }
    positions = budget_positions(keys.values())
    return {pk: positions[key] for pk, key in keys.items()}


def academic_year_of(starts_at: str) -> Case:
    """The academic year (the year of its 1 September) of the moment at ``starts_at``, UK time,
    as a database expression (``academic_year_start``)."""
    year = ExtractYear(starts_at, tzinfo=LONDON)
    return Case(
        When(GreaterThanOrEqual(ExtractMonth(starts_at, tzinfo=LONDON), 9), then=year),
        default=year - 1,
        output_field=IntegerField(),
    )


def budget_keys_of_claims(claims: QuerySet[Claim], *, budget_set: bool = False) -> set[tuple[int, int]]:
    """The (programme id, academic year) of the budgets paying for ``claims`` (``budget_key``),
    found by the database: a handful of rows however many claims. With ``budget_set``, only
    those with a budget set for the year."""
    keyed = claims.order_by().annotate(budget_year=academic_year_of("booking__session__starts_at"))
    if budget_set:
        keyed = keyed.filter(
            Exists(
                ProgrammeBudget.objects.filter(
                    programme_id=OuterRef(f"{PROGRAMME_OF_CLAIM}_id"), academic_year=OuterRef("budget_year")
                )
            )
        )
    return set(keyed.values_list(f"{PROGRAMME_OF_CLAIM}_id", "budget_year").distinct())


def university_programmes(university_ids: list[int]) -> QuerySet[Programme]:
    """The programmes of these universities, with their university."""
    return Programme.objects.filter(university_id__in=university_ids).select_related("university")


def budget_programmes(university_ids: list[int], year: int) -> QuerySet[Programme]:
    """The programmes of these universities running in the academic year from 1 September
    ``year`` (named for it, with a session starting in it, or with a budget for it), each with its
    university and budget position (``with_budget_position``), by university and name."""
    period = academic_year(year)
    sessions = TeachingSession.objects.filter(
        module__programme=OuterRef("pk"), starts_at__gte=period.starts_at, starts_at__lt=period.ends_before
    )
    budgets = ProgrammeBudget.objects.filter(programme=OuterRef("pk"), academic_year=year)
    programmes = (
        university_programmes(university_ids)
        .filter(Q(academic_year=academic_year_label(year)) | Exists(sessions) | Exists(budgets))
        .order_by("university__name", "name", "pk")
    )
    return with_budget_position(programmes, year)


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
    """A university's approved claims waiting for a run, and what they come to: ``ready`` of them
    (``ready_total``) have a payee reference and go into the next run; the others wait for
    payee set-up."""

    university: Organisation
    claims: int
    total: Decimal
    ready: int = 0
    ready_total: Decimal = Decimal("0.00")

    @property
    def held(self) -> int:
        return self.claims - self.ready


def approved_claims(university_ids: list[int]) -> QuerySet[Claim]:
    """Approved claims of these universities: what the next payment runs pay."""
    return Claim.objects.for_university(university_ids).filter(status=ClaimStatus.APPROVED)


def payee_reference_of_claim() -> QuerySet[PayeeReference]:
    """The payee reference of an (outer) claim's volunteer at the claim's university."""
    return PayeeReference.objects.filter(
        organisation_id=OuterRef(UNIVERSITY_OF_CLAIM), volunteer_id=OuterRef("volunteer_id")
    )


def ready_to_pay(university_ids: list[int]) -> QuerySet[Claim]:
    """Approved claims whose volunteer has a payee reference at the university: what a preview takes."""
    return approved_claims(university_ids).filter(Exists(payee_reference_of_claim()))


def waiting_by_university(universities: list[Organisation]) -> list[Waiting]:
    """Approved claims and their total (expenses and fees) per university, all and those ready to
    pay (with a payee reference), in one query: grouped by university and by whether the claim
    has a payee reference, so each claim's expenses (a subquery on its own items,
    ``claim_expenses``) and its payee reference are looked up once, and the items are never
    joined through the session chain."""
    rows = (
        approved_claims([university.pk for university in universities])
        .annotate(payee=Exists(payee_reference_of_claim()), expenses=claim_expenses())
        .values("payee", university=F(UNIVERSITY_OF_CLAIM))
        .annotate(count=Count("pk"), total=Sum(F("fee_requested") + F("expenses"), output_field=MONEY))
    )
    zero = Decimal("0.00")
    claims: dict[int, int] = {}
    totals: dict[int, Decimal] = {}
    ready: dict[int, int] = {}
    ready_totals: dict[int, Decimal] = {}
    for row in rows:
        university, total = row["university"], row["total"] or zero
        claims[university] = claims.get(university, 0) + row["count"]
        totals[university] = totals.get(university, zero) + total
        if row["payee"]:
            ready[university], ready_totals[university] = row["count"], total
    return [
        Waiting(
            university,
            claims.get(university.pk, 0),
            to_pounds(totals.get(university.pk, zero)),
            ready.get(university.pk, 0),
            to_pounds(ready_totals.get(university.pk, zero)),
        )
        for university in universities
    ]


def runs_of(university_ids: list[int]) -> QuerySet[ReimbursementRun]:
    """The payment runs (and previews) of these universities, with who previewed and started them."""
    return ReimbursementRun.objects.filter(organisation__in=university_ids).select_related(
        "organisation", "started_by", "previewed_by"
    )


def started_runs_of(university_ids: list[int]) -> QuerySet[ReimbursementRun]:
    """The runs of these universities that have started, without the previews."""
    return runs_of(university_ids).filter(status__in=STARTED)


def started_run_count(organisation: Organisation | int) -> int:
    """How many runs of ``organisation`` have started: a preview made when there were fewer is stale."""
    return ReimbursementRun.objects.filter(organisation=organisation, status__in=STARTED).count()


def run_in_progress(organisation: Organisation | int) -> bool:
    """Whether a run of ``organisation`` is queued or running (only one may be at a time)."""
    return ReimbursementRun.objects.filter(
        organisation=organisation, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists()


def run_state(organisation: Organisation | int) -> tuple[bool, int]:
    """``run_in_progress`` and ``started_run_count`` of ``organisation`` together, in one query."""
    going = [RunStatus.QUEUED, RunStatus.RUNNING]
    counts = ReimbursementRun.objects.filter(organisation=organisation).aggregate(
        going=Count("pk", filter=Q(status__in=going)), started=Count("pk", filter=Q(status__in=STARTED))
    )
    return counts["going"] > 0, counts["started"]


def runs_in_progress(university_ids: list[int]) -> set[int]:
    """Which of these universities have a run queued or running, in one query."""
    return set(
        ReimbursementRun.objects.filter(
            organisation__in=university_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).values_list("organisation_id", flat=True)
    )


# What a run pays -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One payment a run would make: a claim's expenses or its fee, by its route, with the payee
    reference and the cost codes of the claim's programme."""

    claim_id: int
    kind: str
    amount: Decimal
    route: str
    payee_reference: str
    cost_centre: str
    nominal_code: str


def payable_lines(organisation: Organisation | int, *, of_run: ReimbursementRun | None = None) -> list[Line]:
    """The lines a run of ``organisation`` would pay now, by claim and kind: for every approved
    claim with a payee reference (of those in ``of_run``'s lines, when given), its expenses and
    its fee, each more than £0.00, by the route the university's finance settings give them (or
    their defaults). One query, however many claims: the routes are read with the rows."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    defaults = FinanceSettings(organisation_id=organisation_id)
    settings = FinanceSettings.objects.filter(organisation_id=organisation_id)
    claims = ready_to_pay([organisation_id])
    if of_run is not None:
        claims = claims.filter(pk__in=RunLine.objects.filter(run=of_run).values("claim_id"))
    rows = (
        claims.annotate(
            # Unordered: the model's ordering would join the organisation for every claim.
            payee=Subquery(payee_reference_of_claim().order_by().values("reference")[:1]),
            expenses_total=claim_expenses(),
            fee_route=Coalesce(Subquery(settings.values("fee_route")[:1]), Value(defaults.fee_route)),
            expenses_route=Coalesce(Subquery(settings.values("expenses_route")[:1]), Value(defaults.expenses_route)),
        )
        .values_list(
            "pk",
            "fee_requested",
            "expenses_total",
            "payee",
            f"{PROGRAMME_OF_CLAIM}__cost_centre",
            f"{PROGRAMME_OF_CLAIM}__nominal_code",
            "fee_route",
            "expenses_route",
        )
        .order_by("pk")
    )
    lines = []
    for claim_id, fee, expenses, payee, cost_centre, nominal_code, fee_route, expenses_route in rows:
        for kind, amount, route in (
            (Payment.Kind.EXPENSES, to_pounds(expenses), expenses_route),
            (Payment.Kind.FEE, fee, fee_route),
        ):
            if amount > 0:
                lines.append(Line(claim_id, kind, amount, route, payee, cost_centre, nominal_code))
    return lines


def lines_of(run: ReimbursementRun) -> list[Line]:
    """The lines ``run`` holds (what it was previewed to pay), by claim and kind."""
    return [
        Line(claim_id, kind, amount, route, payee, cost_centre, nominal_code)
        for claim_id, kind, amount, route, payee, cost_centre, nominal_code in RunLine.objects.filter(run=run)
        .order_by("claim_id", "kind")
        .values_list("claim_id", "kind", "amount", "route", "payee_reference", "cost_centre", "nominal_code")
    ]


def preview_has_changed(run: ReimbursementRun) -> bool:
    """Whether what ``run`` was previewed to pay is no longer what it would pay now: a claim of
    it no longer approved, or a payee reference, a cost code or a route changed since."""
    return set(lines_of(run)) != set(payable_lines(run.organisation_id, of_run=run))


@dataclass(frozen=True)
class RouteTotal:
    """What a run pays (or paid) by one route: how many payments and how much."""

    route: str
    label: str
    count: int
    total: Decimal


def _route_totals(rows: Iterable[dict[str, Any]]) -> list[RouteTotal]:
    return [
        RouteTotal(row["route"], str(PayRoute(row["route"]).label), row["count"], to_pounds(row["total"]))
        for row in rows
    ]


def run_line_totals(run: ReimbursementRun) -> list[RouteTotal]:
    """A preview's lines by route, counted and summed by the database (payroll first)."""
    return _route_totals(
        RunLine.objects.filter(run=run)
        .values("route")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("-route")
    )


def run_payment_totals(run: ReimbursementRun) -> list[RouteTotal]:
    """A run's payments by route, counted and summed by the database (payroll first): the same
    rows, and so the same totals, as its exports."""
    return _route_totals(
        Payment.objects.filter(run=run)
        .values("route")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("-route")
    )


LINE_FIELDS = ("run_id", "claim_id", "kind", "amount", "route", "payee_reference", "cost_centre", "nominal_code")


def run_lines(run: ReimbursementRun) -> QuerySet[RunLine]:
    """A preview's lines by route, then claim (``run_line_page_idx``), for the page: with the
    volunteer's name and the session's title, and of those rows nothing more."""
    return (
        RunLine.objects.filter(run=run)
        .select_related("claim__volunteer__user", "claim__booking__session")
        .only(*LINE_FIELDS, "claim__volunteer__user__name", "claim__booking__session__title")
        .order_by("-route", "claim_id", "kind")
    )


def run_payment_rows(run: ReimbursementRun) -> QuerySet[Payment]:
    """A run's payments for its page, by route then key (``payment_run_route_key_idx``): with the
    volunteer's name, and of the volunteer nothing more (the exports read ``run_payments``)."""
    return (
        run.payments.select_related("volunteer__user")
        .only("key", "run_id", "volunteer__user__name", *LINE_FIELDS[2:])
        .order_by("-route", "key")
    )


def run_payments(run: ReimbursementRun, route: str | None = None) -> QuerySet[Payment]:
    """The run's payments (by one route, when given), by route then key, with the volunteer and
    the claim's session (for the page and the exports)."""
    payments = run.payments.select_related("volunteer__user", "claim__booking__session")
    if route is not None:
        payments = payments.filter(route=route)
    return payments.order_by("-route", "key")


@dataclass(frozen=True)
class HeldBack:
    """Claims of a university a run does not pay, and why: the first few, and how many in all."""

    claims: list[Claim]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.claims)


HELD_BACK_SHOWN = 50


def _held_back(claims: QuerySet[Claim], count: int | None = None) -> HeldBack:
    """The first ``HELD_BACK_SHOWN`` of ``claims``, oldest first, and how many there are
    (``count``, when known; counted only when there are more than are shown)."""
    shown = list(
        queue_rows(claims.select_related("volunteer__user", "booking__session")).order_by("submitted_at", "pk")[
            :HELD_BACK_SHOWN
        ]
    )
    if count is None:
        count = len(shown) if len(shown) < HELD_BACK_SHOWN else claims.count()
    return HeldBack(shown, count)


def _held_back_counted(claims: QuerySet[Claim], count: int) -> HeldBack:
    """``_held_back`` of claims counted already: none to read when there are none."""
    return _held_back(claims, count) if count else HeldBack([], 0)


def held_back(run: ReimbursementRun) -> dict[str, HeldBack]:
    """What ``run`` (a preview) leaves for later, oldest first: approved claims waiting for payee
    set-up; approved claims ready now but not in it (approved, or set up, since it was made: the
    next run pays them); and, for information, claims returned to the volunteer for changes, and
    claims waiting for approval that go over budget. The first three are counted in one query."""
    university = [run.organisation_id]
    in_run = RunLine.objects.filter(run=run).values("claim_id")
    approved = approved_claims(university).exclude(pk__in=in_run)
    returned = Claim.objects.for_university(university).filter(status=ClaimStatus.RETURNED)
    has_payee = Exists(payee_reference_of_claim())
    approved_now = Q(status=ClaimStatus.APPROVED)
    counts = (
        Claim.objects.for_university(university)
        .filter((approved_now & ~Q(pk__in=in_run)) | Q(status=ClaimStatus.RETURNED))
        .annotate(payee=has_payee)
        .aggregate(
            no_payee=Count("pk", filter=approved_now & Q(payee=False)),
            since=Count("pk", filter=approved_now & Q(payee=True)),
            returned=Count("pk", filter=Q(status=ClaimStatus.RETURNED)),
        )
    )
    return {
        "no_payee": _held_back_counted(approved.filter(~has_payee), counts["no_payee"]),
        "since": _held_back_counted(approved.filter(has_payee), counts["since"]),
        "returned": _held_back_counted(returned, counts["returned"]),
        "over_budget": _held_back(waiting_over_budget(run.organisation_id)),
    }


def waiting_over_budget(university_id: int) -> QuerySet[Claim]:
    """Claims sent at the university and waiting for a decision whose approval would take their
    programme past its budget for the year (``permissions.approval_goes_over_budget``: more than
    what ``remaining`` leaves), so an approver must give a reason before a run can pay them. The
    budgets (only those set: without one there is no limit) are read in two queries, however
    many claims wait; the claims are filtered by the database."""
    waiting = Claim.objects.for_university([university_id]).filter(status=ClaimStatus.SUBMITTED)
    positions = {
        key: position
        for key, position in budget_positions(budget_keys_of_claims(waiting, budget_set=True)).items()
        if position.remaining is not None
    }
    if not positions:
        return waiting.none()
    past = Q()
    for (programme_id, year), position in positions.items():
        period = academic_year(year)
        past |= Q(
            **{f"{PROGRAMME_OF_CLAIM}_id": programme_id},
            booking__session__starts_at__gte=period.starts_at,
            booking__session__starts_at__lt=period.ends_before,
            total__gt=position.remaining,
        )
    return queue_rows(waiting).filter(past)


# Payee set-up --------------------------------------------------------------------------------------


def payee_form_key(organisation: Organisation | int, volunteer: VolunteerProfile | int) -> str:
    """The outbox key of the one email asking a volunteer for a university's payee form."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    volunteer_id = volunteer if isinstance(volunteer, int) else volunteer.pk
    return f"payee-form:{organisation_id}:{volunteer_id}"


def awaiting_payee_setup(organisation: Organisation) -> QuerySet[VolunteerProfile]:
    """Volunteers with a claim sent or approved at ``organisation`` and no payee reference there,
    oldest claim first: each with ``oldest_claim`` (when it was sent), ``claims_waiting`` and
    ``claims_approved``."""
    waiting = Q(
        claims__status__in=list(WAITING),
        **{f"claims__{UNIVERSITY_OF_CLAIM}": organisation.pk},
    )
    return (
        VolunteerProfile.objects.filter(
            pk__in=Claim.objects.for_university([organisation.pk]).filter(status__in=WAITING).values("volunteer_id")
        )
        .exclude(payee_references__organisation=organisation)
        .annotate(
            oldest_claim=Min("claims__submitted_at", filter=waiting),
            claims_waiting=Count("claims", filter=waiting, distinct=True),
            claims_approved=Count("claims", filter=waiting & Q(claims__status=ClaimStatus.APPROVED), distinct=True),
        )
        .select_related("user")
        .order_by("oldest_claim", "pk")
    )


def payee_forms_asked(
    organisation: Organisation, volunteers: Iterable[VolunteerProfile]
) -> dict[int, datetime.datetime]:
    """When each of these volunteers was emailed for ``organisation``'s payee form (by volunteer id),
    in one query."""
    keys = {payee_form_key(organisation, volunteer): volunteer.pk for volunteer in volunteers}
    return {
        keys[key]: created_at
        for key, created_at in Notification.objects.filter(unique_key__in=list(keys)).values_list(
            "unique_key", "created_at"
        )
    }


def payee_references_of(organisation: Organisation) -> QuerySet[PayeeReference]:
    """The references recorded at ``organisation``, by volunteer name, with who recorded them."""
    return (
        PayeeReference.objects.filter(organisation=organisation)
        .select_related("volunteer__user", "recorded_by")
        .order_by("volunteer__user__name", "pk")
    )


def payee_volunteers(organisation: Organisation) -> QuerySet[VolunteerProfile]:
    """The volunteers whose payee reference ``organisation``'s finance officers may record: those
    with a claim there, or a reference already (never anyone erased). Another university's
    volunteer is not in it, so a guessed id gives 404."""
    claimed = Claim.objects.for_university([organisation.pk]).values("volunteer_id")
    referenced = PayeeReference.objects.filter(organisation=organisation).values("volunteer_id")
    return VolunteerProfile.objects.filter(
        Q(pk__in=claimed) | Q(pk__in=referenced), erased_at__isnull=True
    ).select_related("user")


def payee_reference_of(organisation: Organisation | int, volunteer: VolunteerProfile | int) -> PayeeReference | None:
    return PayeeReference.objects.filter(organisation=organisation, volunteer=volunteer).first()


def waiting_claims_of(organisation: Organisation, volunteer: VolunteerProfile) -> QuerySet[Claim]:
    """The volunteer's claims sent or approved at ``organisation``, oldest first, with their totals."""
    return queue_rows(
        Claim.objects.for_university([organisation.pk]).filter(volunteer=volunteer, status__in=WAITING)
    ).order_by("submitted_at", "pk")


# Finance settings and cost codes -------------------------------------------------------------------


def finance_settings_of(organisation: Organisation | int) -> FinanceSettings:
    """The university's finance settings (unsaved defaults when it has none yet)."""
    return FinanceSettings.for_university(organisation)


def programmes_of(organisation: Organisation) -> QuerySet[Programme]:
    """The university's programmes, newest academic year first, then by name."""
    return Programme.objects.filter(university=organisation).order_by("-academic_year", "name", "pk")


def finance_settings_of_many(university_ids: list[int]) -> dict[int, FinanceSettings]:
    """Each university's finance settings (unsaved defaults for those without), in one query."""
    found = {row.organisation_id: row for row in FinanceSettings.objects.filter(organisation__in=university_ids)}
    return {pk: found.get(pk) or FinanceSettings(organisation_id=pk) for pk in university_ids}


def payee_setup_counts(university_ids: list[int]) -> dict[int, int]:
    """How many volunteers wait for payee set-up at each university (a claim sent or approved
    there, no payee reference there), in one query."""
    has_reference = PayeeReference.objects.filter(
        organisation_id=OuterRef(UNIVERSITY_OF_CLAIM), volunteer_id=OuterRef("volunteer_id")
    )
    rows = (
        Claim.objects.for_university(university_ids)
        .filter(status__in=WAITING)
        .exclude(Exists(has_reference))
        .values(university=F(UNIVERSITY_OF_CLAIM))
        .annotate(volunteers=Count("volunteer", distinct=True))
    )
    return {row["university"]: row["volunteers"] for row in rows}


def programmes_without_codes(university_ids: list[int]) -> dict[int, int]:
    """How many programmes of each university lack a cost centre or a nominal code, in one query."""
    rows = (
        Programme.objects.filter(university__in=university_ids)
        .filter(Q(cost_centre="") | Q(nominal_code=""))
        .values("university")
        .annotate(count=Count("pk"))
    )
    return {row["university"]: row["count"] for row in rows}
