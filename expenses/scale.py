"""Claims and payments of ``manage.py seed_scale`` (``accounts.scale`` describes the whole seed).

Rate cards from before the first session, each university's finance settings, payee references,
40,000 claims at the default size (every state; about a quarter approved and waiting for a run)
with their items and receipts rows, and the completed runs that paid the rest: one run every few
months per university, each with its lines and payments under the keys a real run uses, and the
remittance emails of the last year in the outbox. Receipt rows point at files that do not exist:
the data is for measuring pages, not for downloading receipts.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from accounts.scale import ScaleContext, insert
from expenses.models import (
    Claim,
    ClaimItem,
    FeeRate,
    FinanceSettings,
    PayeeReference,
    Payment,
    PayRoute,
    ProgrammeBudget,
    RateCard,
    Receipt,
    ReimbursementRun,
    RunLine,
)
from expenses.services import payment_key
from involvement.models import Notification
from sessions_app.models import Programme, TeachingSession
from sessions_app.scale import ScaleBooking
from volunteers.models import VolunteerProfile
from volunteers.scale import ScaleVolunteer

Status = Claim.Status
Kind = ClaimItem.Kind
DEFAULT_CLAIMS = 40_000
STATUS_WEIGHTS = {
    Status.PAID: 0.55,
    Status.APPROVED: 0.25,
    Status.SUBMITTED: 0.08,
    Status.DRAFT: 0.06,
    Status.RETURNED: 0.02,
    Status.REJECTED: 0.04,
}
FEES: dict[str, tuple[str, Decimal]] = {
    TeachingSession.Kind.TEACHING: (FeeRate.Basis.PER_HOUR, Decimal("25.00")),
    TeachingSession.Kind.SIMULATED_PATIENT: (FeeRate.Basis.PER_HOUR, Decimal("30.00")),
    TeachingSession.Kind.ASSESSMENT: (FeeRate.Basis.PER_SESSION, Decimal("100.00")),
    TeachingSession.Kind.RECRUITMENT: (FeeRate.Basis.PER_SESSION, Decimal("120.00")),
    TeachingSession.Kind.CURRICULUM: (FeeRate.Basis.PER_HOUR, Decimal("25.00")),
    TeachingSession.Kind.REVIEW: (FeeRate.Basis.PER_SESSION, Decimal("75.00")),
}
# Months between runs, per university in the order of ``ctx.universities``.
RUN_EVERY_MONTHS = [3, 3, 4, 4]
NOTES: dict[str, str] = {Status.REJECTED: "Outside the claim window.", Status.RETURNED: "Please add the receipt."}
PENCE = Decimal("0.01")


def seed_expenses_scale(ctx: ScaleContext) -> None:
    rng = ctx.rng
    _rate_cards(ctx)
    for university in ctx.universities:
        FinanceSettings.objects.get_or_create(organisation=university)
    attended: list[ScaleBooking] = ctx.data["attended"]
    demo = ctx.data.get("demo_volunteer")
    wanted = min(len(attended), ctx.scaled(DEFAULT_CLAIMS, minimum=10))
    # Every attended booking of the demo volunteer has a claim; the rest are drawn.
    chosen = [booking for booking in attended if demo is not None and booking.volunteer_id == demo.pk]
    others = [booking for booking in attended if demo is None or booking.volunteer_id != demo.pk]
    chosen += rng.sample(others, max(0, wanted - len(chosen)))
    chosen.sort(key=lambda booking: booking.ends_at)
    preferences = dict(
        VolunteerProfile.objects.filter(pk__in={b.volunteer_id for b in chosen}).values_list("pk", "payment_preference")
    )
    runs = _runs(ctx)
    claims: list[Claim] = []
    paid_in: list[ReimbursementRun | None] = []
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    for booking in chosen:
        status = rng.choices(statuses, weights=weights)[0]
        claim, run = _claim(ctx, booking, status, preferences[booking.volunteer_id], runs[booking.university_id])
        claims.append(claim)
        paid_in.append(run)
    claims = insert(Claim, claims, ctx)
    items, receipts = _items(ctx, claims, chosen)
    receipts = insert(Receipt, receipts, ctx)
    for item in items:
        if item.receipt is not None:
            item.receipt_id = item.receipt.pk
    insert(ClaimItem, items, ctx)
    expenses: dict[int, Decimal] = {}
    for item in items:
        expenses[item.claim_id] = expenses.get(item.claim_id, Decimal("0.00")) + item.amount
    _payees(ctx, claims, chosen)
    _payments(ctx, claims, chosen, paid_in, expenses)
    _budgets(ctx)


def _rate_cards(ctx: ScaleContext) -> None:
    """A card for each university from before the first session (the demo's own cards, from the
    last tax year, stay in force after it)."""
    since = datetime.date(ctx.today.year - 4, 4, 6)
    for university in ctx.universities:
        card, created = RateCard.objects.get_or_create(
            organisation=university,
            effective_from=since,
            defaults={"receipts_required_for": [Kind.PUBLIC_TRANSPORT, Kind.TAXI, Kind.PARKING]},
        )
        if created:
            insert(
                FeeRate,
                (
                    FeeRate(rate_card=card, kind=kind, basis=basis, amount=amount)
                    for kind, (basis, amount) in FEES.items()
                ),
                ctx,
            )
            ctx.add("expenses.RateCard", 1)


def _runs(ctx: ScaleContext) -> dict[int, list[ReimbursementRun]]:
    """Completed runs every few months per university, from three years ago until last month."""
    rows = []
    for index, university in enumerate(ctx.universities):
        day = datetime.date(ctx.today.year - 3, 9, 28)
        finance = ctx.finance[university.pk][0]
        while day < ctx.today - datetime.timedelta(days=30):
            started = ctx.moment(day, 9, 30)
            rows.append(
                ReimbursementRun(
                    organisation=university,
                    previewed_by_id=finance,
                    started_by_id=finance,
                    status=ReimbursementRun.Status.COMPLETED,
                    started_at=started,
                    finished_at=started + datetime.timedelta(minutes=20),
                    created_at=started - datetime.timedelta(minutes=5),
                )
            )
            day += relativedelta(months=RUN_EVERY_MONTHS[index])
    found: dict[int, list[ReimbursementRun]] = {}
    for run in insert(ReimbursementRun, rows, ctx):
        found.setdefault(run.organisation_id, []).append(run)
    return found


def _claim(
    ctx: ScaleContext, booking: ScaleBooking, status: str, preference: str, runs: list[ReimbursementRun]
) -> tuple[Claim, ReimbursementRun | None]:
    """The claim for ``booking`` in ``status``; a paid one is paid by the first run after its
    approval (approved and waiting when no run has come since)."""
    rng = ctx.rng
    basis, rate = FEES.get(booking.kind, ("", Decimal("0.00")))
    due = (rate * booking.hours if basis == FeeRate.Basis.PER_HOUR else rate).quantize(PENCE)
    choices: dict[str, str] = {
        VolunteerProfile.PaymentPreference.FEE_AND_EXPENSES: Claim.FeeChoice.TAKE,
        VolunteerProfile.PaymentPreference.REDUCED_FEE: Claim.FeeChoice.REDUCED,
        VolunteerProfile.PaymentPreference.FEE_DONATED: Claim.FeeChoice.DONATE,
    }
    choice = choices.get(preference, Claim.FeeChoice.DECLINE)
    requested = {Claim.FeeChoice.TAKE: due, Claim.FeeChoice.REDUCED: (due / 2).quantize(PENCE)}.get(
        Claim.FeeChoice(choice), Decimal("0.00")
    )
    opened = booking.ends_at + datetime.timedelta(days=rng.randint(0, 10), hours=3)
    submitted = opened + datetime.timedelta(days=rng.randint(0, 14))
    decided = submitted + datetime.timedelta(days=rng.randint(1, 20))
    if status != Status.DRAFT and submitted > ctx.now:
        status = Status.DRAFT
    if status in (Status.APPROVED, Status.REJECTED, Status.RETURNED, Status.PAID) and decided > ctx.now:
        status = Status.SUBMITTED
    run = None
    if status == Status.PAID:
        run = next((run for run in runs if run.started_at and run.started_at > decided), None)
        if run is None:
            status = Status.APPROVED
    decided_status = status in (Status.APPROVED, Status.REJECTED, Status.RETURNED, Status.PAID)
    claim = Claim(
        booking_id=booking.booking_id,
        volunteer_id=booking.volunteer_id,
        status=status,
        fee_choice=choice,
        fee_due=due,
        fee_requested=requested,
        submitted_at=submitted if status != Status.DRAFT else None,
        decided_at=decided if decided_status else None,
        decided_by_id=ctx.coordinators[booking.university_id][0] if decided_status else None,
        decision_note=NOTES.get(status, ""),
        paid_at=run.finished_at if run else None,
        created_at=opened,
    )
    claim.university_id = booking.university_id  # type: ignore[attr-defined]  # for the payments below
    return claim, run


def _items(
    ctx: ScaleContext, claims: list[Claim], bookings: list[ScaleBooking]
) -> tuple[list[ClaimItem], list[Receipt]]:
    """One to three items a claim (mileage most often), and a receipt row for those that need one."""
    rng = ctx.rng
    items: list[ClaimItem] = []
    receipts: list[Receipt] = []
    for claim, booking in zip(claims, bookings, strict=True):
        day = booking.starts_at.date()
        kinds = rng.sample(
            [Kind.MILEAGE, Kind.PUBLIC_TRANSPORT, Kind.PARKING, Kind.SUBSISTENCE, Kind.CARER],
            rng.choices([1, 2, 3], weights=[0.55, 0.35, 0.1])[0],
        )
        if claim.fee_requested == 0 and not kinds:
            kinds = [Kind.MILEAGE]
        for kind in kinds:
            receipt = None
            if kind == Kind.MILEAGE:
                miles = Decimal(rng.randint(30, 600)) / 10
                items.append(
                    ClaimItem(
                        claim=claim,
                        kind=kind,
                        date=day,
                        amount=(miles * 2 * Decimal("0.45")).quantize(PENCE),
                        miles=miles * 2,
                        vehicle=ClaimItem.Vehicle.CAR,
                        from_postcode="NB1 4QT",
                        to_postcode="NB2 7RS",
                        note="There and back",
                        created_at=claim.created_at,
                    )
                )
                continue
            amount = {
                Kind.PUBLIC_TRANSPORT: Decimal(rng.randint(300, 4500)) / 100,
                Kind.PARKING: Decimal(rng.randint(200, 1500)) / 100,
                Kind.SUBSISTENCE: Decimal(rng.randint(300, 1500)) / 100,
                Kind.CARER: Decimal(rng.randint(2000, 6000)) / 100,
            }[kind]
            if kind in (Kind.PUBLIC_TRANSPORT, Kind.PARKING):
                receipt = Receipt(
                    claim=claim,
                    file=f"receipts/scale/{len(receipts) + 1}.pdf",
                    content_type="application/pdf",
                    original_name="receipt.pdf",
                    size=rng.randint(20_000, 400_000),
                    created_at=claim.created_at,
                )
                receipts.append(receipt)
            items.append(
                ClaimItem(claim=claim, kind=kind, date=day, amount=amount, receipt=receipt, created_at=claim.created_at)
            )
    return items, receipts


def _payees(ctx: ScaleContext, claims: list[Claim], bookings: list[ScaleBooking]) -> None:
    """A payee reference at each university for everyone paid there, and for most who wait."""
    rng = ctx.rng
    needed: dict[tuple[int, int], bool] = {}
    for claim, booking in zip(claims, bookings, strict=True):
        key = (booking.university_id, booking.volunteer_id)
        needed[key] = needed.get(key, False) or claim.status == Status.PAID
    existing = set(
        PayeeReference.objects.filter(organisation__in=ctx.universities).values_list("organisation_id", "volunteer_id")
    )
    insert(
        PayeeReference,
        (
            PayeeReference(
                organisation_id=university_id,
                volunteer_id=volunteer_id,
                reference=f"SC{university_id}-{volunteer_id:07d}",
                recorded_by_id=ctx.finance[university_id][0],
            )
            for (university_id, volunteer_id), paid in sorted(needed.items())
            if (university_id, volunteer_id) not in existing and (paid or rng.random() < 0.9)
        ),
        ctx,
    )


def _payments(
    ctx: ScaleContext,
    claims: list[Claim],
    bookings: list[ScaleBooking],
    paid_in: list[ReimbursementRun | None],
    expenses: dict[int, Decimal],
) -> None:
    """The lines and payments of every paid claim, under the keys a real run gives them, the
    runs' totals, and the remittance emails of the last year."""
    references = {
        (organisation_id, volunteer_id): reference
        for organisation_id, volunteer_id, reference in PayeeReference.objects.filter(
            organisation__in=ctx.universities
        ).values_list("organisation_id", "volunteer_id", "reference")
    }
    settings = {university.pk: FinanceSettings.for_university(university) for university in ctx.universities}
    codes = {
        session_id: (cost_centre, nominal_code)
        for session_id, cost_centre, nominal_code in TeachingSession.objects.filter(
            pk__in={booking.session_id for booking in bookings}
        ).values_list("pk", "module__programme__cost_centre", "module__programme__nominal_code")
    }
    lines: list[RunLine] = []
    payments: list[Payment] = []
    claims_per_run: dict[int, int] = {}
    for claim, booking, run in zip(claims, bookings, paid_in, strict=True):
        if run is None:
            continue
        claims_per_run[run.pk] = claims_per_run.get(run.pk, 0) + 1
        finance = settings[booking.university_id]
        cost_centre, nominal_code = codes[booking.session_id]
        payee = references[(booking.university_id, booking.volunteer_id)]
        for kind, amount, route in (
            (Payment.Kind.EXPENSES, expenses.get(claim.pk, Decimal("0.00")), finance.expenses_route),
            (Payment.Kind.FEE, claim.fee_requested, finance.fee_route),
        ):
            if amount <= 0:
                continue
            common = {
                "run": run,
                "claim": claim,
                "kind": kind,
                "amount": amount,
                "route": PayRoute(route),
                "payee_reference": payee,
                "cost_centre": cost_centre,
                "nominal_code": nominal_code,
            }
            lines.append(RunLine(**common))
            payments.append(
                Payment(
                    key=payment_key(claim, kind),
                    volunteer_id=claim.volunteer_id,
                    paid_on=run.started_at.date() if run.started_at else ctx.today,
                    created_at=run.started_at or ctx.now,
                    **common,
                )
            )
    insert(RunLine, lines, ctx)
    insert(Payment, payments, ctx)
    for run_id, count in claims_per_run.items():
        ReimbursementRun.objects.filter(pk=run_id).update(claims_total=count, claims_done=count)
    _remittances(ctx, claims, paid_in)


def _remittances(ctx: ScaleContext, claims: list[Claim], paid_in: list[ReimbursementRun | None]) -> None:
    volunteers: list[ScaleVolunteer] = ctx.data["volunteers"]
    users = {volunteer.profile_id: volunteer.user_id for volunteer in volunteers}
    demo = ctx.data.get("demo_volunteer")
    if demo is not None:
        users[demo.pk] = demo.user_id
    from accounts.models import User

    emails = dict(User.objects.filter(pk__in=set(users.values())).values_list("pk", "email"))
    year_ago = ctx.now - datetime.timedelta(days=365)

    def rows() -> Iterator[Notification]:
        for claim, run in zip(claims, paid_in, strict=True):
            if run is None or run.finished_at is None or run.finished_at < year_ago:
                continue
            user_id = users[claim.volunteer_id]
            yield Notification(
                recipient_id=user_id,
                email=emails[user_id],
                template_key="expenses/remittance",
                context={"reference": claim.reference},
                unique_key=f"remittance:{claim.pk}",
                status=Notification.Status.SENT,
                attempts=1,
                last_attempt_at=run.finished_at,
                sent_at=run.finished_at,
                created_at=run.finished_at,
            )

    insert(Notification, rows(), ctx)


def _budgets(ctx: ScaleContext) -> None:
    """An involvement budget for half the programmes, for their academic year."""
    rng = ctx.rng
    insert(
        ProgrammeBudget,
        (
            ProgrammeBudget(
                programme_id=programme_id,
                academic_year=int(year[:4]),
                amount=Decimal(rng.randint(20, 200) * 500),
                set_by_id=ctx.finance[university_id][0],
            )
            for programme_id, year, university_id in Programme.objects.filter(university__in=ctx.universities)
            .order_by("pk")
            .values_list("pk", "academic_year", "university_id")
            if rng.random() < 0.5
            and not ProgrammeBudget.objects.filter(programme_id=programme_id, academic_year=int(year[:4])).exists()
        ),
        ctx,
    )
