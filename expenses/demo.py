"""Demo rate cards, claims and a completed payment run for ``manage.py seed_demo``.

University of Northbridge's rate card has today's typical UK rates (car 45p a mile for the first
10,000 miles of each volunteer's tax year and 25p after, motorcycle 24p, bicycle 20p, food and drink
up to £15, three months to claim; fees of £25 an hour, £30 an hour for simulated patients and £75
per assessment); Southgate University has its own card.

Northbridge's attended bookings have claims in every state: draft, submitted (one overdue for a
decision), returned with a note, approved and waiting for the next run, rejected with a reason, and
paid. Rhys Llewellyn drives a long way to Northbridge's admissions interview days: the long car
journeys of his six earlier claims come to 9,600 miles this tax year, so his latest claim, waiting
for approval, is split at 10,000 miles (400 miles at 45p, the rest at 25p). Siân
(volunteer@example.org) has a paid claim, a draft one, and an admissions day she has not claimed
for yet. One payment run, five days before Rhys's latest interview day, paid every claim that is
paid: fees through payroll, expenses through accounts payable.

Both universities pay fees through payroll and expenses through accounts payable, and link their
payee forms; every programme has a cost centre and nominal code. At Northbridge, everyone who was
paid has a payee reference, and so has Eluned Morgan-Price, whose approved claim is ready for the
next run: finance can preview it now. Oluwaseun Adebayo's claim is approved too, but he has no
payee reference yet: he is on the payee set-up list and the preview holds his claim back.

Every programme has an involvement budget this academic year. Rhys's latest claim is paid from
the radiography programme's, set close to what it has spent and committed: approving his claim
would take it over, so the approver is asked for a reason.

The services open claims, add items and submit them where their date rules allow (three months to
claim, items dated within a week of the session); older history and every decision are written
directly, because the decision services email the volunteer and the demo sends no email.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.demo import DemoWorld
from accounts.models import Organisation, User
from expenses import selectors, services
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
    ReimbursementRun,
    RunLine,
)
from expenses.rates import car_miles_before, claim_deadline, fee_due, mileage_amount, tax_year_start
from involvement.activity import record_activity
from involvement.periods import academic_year_label, academic_year_start
from sessions_app.models import Booking, Module, Programme, TeachingSession
from volunteers.models import VolunteerProfile

Kind = ClaimItem.Kind
Vehicle = ClaimItem.Vehicle
Status = Claim.Status
SessionKind = TeachingSession.Kind
PER_HOUR, PER_SESSION = FeeRate.Basis.PER_HOUR, FeeRate.Basis.PER_SESSION

UK_RATES: dict[str, Any] = {
    "car_rate": Decimal("0.45"),
    "car_threshold_miles": 10_000,
    "car_rate_after_threshold": Decimal("0.25"),
    "motorcycle_rate": Decimal("0.24"),
    "bicycle_rate": Decimal("0.20"),
    "subsistence_cap": Decimal("15.00"),
    "receipts_required_for": [
        Kind.PUBLIC_TRANSPORT,
        Kind.TAXI,
        Kind.PARKING,
        Kind.CARER,
        Kind.SUPPORT_WORKER,
        Kind.OTHER,
    ],
    "claim_window_months": 3,
    "item_ceiling": Decimal("500.00"),
    "approval_target_days": 10,
}
NORTHBRIDGE_FEES: dict[str, tuple[str, Decimal]] = {
    SessionKind.TEACHING: (PER_HOUR, Decimal("25.00")),
    SessionKind.ASSESSMENT: (PER_SESSION, Decimal("75.00")),
    SessionKind.SIMULATED_PATIENT: (PER_HOUR, Decimal("30.00")),
    SessionKind.RECRUITMENT: (PER_HOUR, Decimal("25.00")),
    SessionKind.CURRICULUM: (PER_HOUR, Decimal("25.00")),
    SessionKind.REVIEW: (PER_HOUR, Decimal("25.00")),
}
SOUTHGATE_FEES: dict[str, tuple[str, Decimal]] = {
    SessionKind.TEACHING: (PER_HOUR, Decimal("20.00")),
    SessionKind.ASSESSMENT: (PER_SESSION, Decimal("60.00")),
    SessionKind.SIMULATED_PATIENT: (PER_HOUR, Decimal("25.00")),
    SessionKind.RECRUITMENT: (PER_HOUR, Decimal("20.00")),
}
SOUTHGATE_RATES: dict[str, Any] = {**UK_RATES, "subsistence_cap": Decimal("10.00"), "approval_target_days": 14}

CAMPUS = "NB1 4AH"
ADMISSIONS_DAY = "Admissions interview day"
RHYS = "rhys.llewellyn@example.org"
RHYS_HOME = "LL55 4UR"
# How each university pays, and its programmes' cost codes (by profession) in its finance system.
FINANCE_SETTINGS: dict[str, dict[str, Any]] = {
    "northbridge": {
        "fee_route": PayRoute.PAYROLL,
        "expenses_route": PayRoute.ACCOUNTS_PAYABLE,
        "payee_form_url": "https://finance.northbridge.example/new-payee-form",
        "payment_target_days": 30,
    },
    "southgate": {
        "fee_route": PayRoute.PAYROLL,
        "expenses_route": PayRoute.ACCOUNTS_PAYABLE,
        "payee_form_url": "https://www.southgate.example/finance/payee-set-up",
        "payment_target_days": 21,
    },
}
COST_CODES: dict[str, tuple[str, str]] = {
    "BSc (Hons) Diagnostic Radiography": ("RAD-4410", "5120"),
    "BSc (Hons) Adult Nursing": ("NUR-2230", "5120"),
    "BSc (Hons) Mental Health Nursing": ("SG-MHN01", "61040"),
}
# Payee references in Northbridge's finance system: everyone it has paid, and Eluned, whose
# approved claim is ready for the next run. Oluwaseun's approved claim waits for his.
PAYEE_REFERENCES = {
    RHYS: "SUP-004211",
    "volunteer@example.org": "SUP-004187",
    "bronwen.hughes@example.org": "SUP-004230",
    "eluned.morganprice@example.org": "SUP-004302",
}
# Each programme's involvement budget this academic year (the one paying for Rhys's latest claim
# is set close to what it has spent and committed instead).
DEMO_BUDGETS = {
    "BSc (Hons) Diagnostic Radiography": Decimal("6000.00"),
    "BSc (Hons) Adult Nursing": Decimal("4500.00"),
    "BSc (Hons) Mental Health Nursing": Decimal("1500.00"),
}
# Each earlier admissions day: there and back, this far each way (6 × 2 × 800 = 9,600 miles).
LONG_WAY = Decimal("800")
EARLIER_DAYS = 6


@dataclass(frozen=True)
class DemoItem:
    kind: str
    amount: str = ""
    miles: str = ""
    vehicle: str = ""
    route: tuple[str, str] = ("", "")
    note: str = ""
    receipt: str = ""  # the words on a generated receipt image, when one is sent


@dataclass(frozen=True)
class DemoClaim:
    session: str  # a demo session's title
    attendee: int  # which of its attended bookings, in the order they were made
    status: str
    items: tuple[DemoItem, ...]
    submitted_after_days: int = 2  # how long after the session it was sent
    note: str = ""  # the reason for a rejection, or what to change


def _drive(miles: str, there: str, back: str, vehicle: str = Vehicle.CAR) -> tuple[DemoItem, DemoItem]:
    return (
        DemoItem(Kind.MILEAGE, miles=miles, vehicle=vehicle, route=(there, back), note="To the session"),
        DemoItem(Kind.MILEAGE, miles=miles, vehicle=vehicle, route=(back, there), note="Home again"),
    )


CLAIMS = [
    DemoClaim(
        "What good care felt like",
        0,
        Status.PAID,
        (
            *_drive("14.5", "NB3 7QT", CAMPUS),
            DemoItem(
                Kind.PARKING,
                amount="6.50",
                note="Campus multi-storey car park",
                receipt="Northbridge campus parking\n4 hours  GBP 6.50",
            ),
        ),
    ),
    DemoClaim(
        "What good care felt like",
        1,
        Status.PAID,
        (
            DemoItem(
                Kind.PUBLIC_TRANSPORT,
                amount="7.40",
                note="Day return bus ticket",
                receipt="Northbridge Buses\nDay return  GBP 7.40",
            ),
            DemoItem(Kind.SUBSISTENCE, amount="4.85", note="Lunch"),
        ),
    ),
    DemoClaim(
        "Mammography OSCE",
        0,
        Status.APPROVED,
        (*_drive("22", "NB9 2LD", CAMPUS), DemoItem(Kind.SUBSISTENCE, amount="6.20", note="A sandwich and a drink")),
        submitted_after_days=34,  # approved after the run, so it waits for the next one
    ),
    DemoClaim(
        "Mammography OSCE",
        1,
        Status.REJECTED,
        (
            DemoItem(
                Kind.PUBLIC_TRANSPORT,
                amount="38.50",
                note="Return train ticket",
                receipt="National Rail\nOff-peak return  GBP 38.50",
            ),
        ),
        note=(
            "The university booked and paid for your train ticket before the day, so it cannot be paid "
            "again. Nothing is wrong, and thank you for coming."
        ),
    ),
    DemoClaim(
        "Mammography OSCE",
        2,
        Status.RETURNED,
        (
            DemoItem(
                Kind.PARKING,
                amount="12.00",
                note="Hospital car park",
                receipt="Northbridge General car park\n2 hours  GBP 2.10",
            ),
        ),
        note="The parking receipt shows £2.10 and the claim says £12.00. Could you check the amount and send it again?",
    ),
    DemoClaim(
        "Mammography OSCE",
        3,
        Status.APPROVED,
        (*_drive("6", "NB2 8SE", CAMPUS, Vehicle.BICYCLE), DemoItem(Kind.SUBSISTENCE, amount="5.50", note="Lunch")),
        submitted_after_days=36,  # approved, waiting for payee set-up
    ),
    DemoClaim(
        "Breaking bad news: a patient's view",
        0,
        Status.SUBMITTED,
        (
            DemoItem(
                Kind.CARER,
                amount="36.00",
                note="Childminder for the afternoon",
                receipt="Little Acorns Childminding\nAfternoon  GBP 36.00",
            ),
        ),
    ),
    DemoClaim(
        "Breaking bad news: a patient's view",
        1,
        Status.DRAFT,
        (DemoItem(Kind.SUBSISTENCE, amount="3.20", note="Coffee and a cake"),),
    ),
]
DECIDED = {Status.APPROVED, Status.REJECTED, Status.RETURNED, Status.PAID}


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def admissions_days(today: datetime.date) -> tuple[list[datetime.date], datetime.date]:
    """The days of Rhys's six earlier admissions days and of his latest, all Tuesdays in one tax year:
    the latest the Tuesday at least three days ago (early in a tax year, the last Tuesday of the one
    before), the earlier ones spread over the weeks before it."""
    latest = _tuesday_on_or_before(today - datetime.timedelta(days=3))
    start = tax_year_start(latest)
    if (latest - start).days < 60:
        latest = _tuesday_on_or_before(start - datetime.timedelta(days=1))
        start = tax_year_start(latest)
    # Whole weeks apart, so every day is a Tuesday, when Rhys and Siân said they are free.
    spacing = max(7, min(28, ((latest - start).days - 14) // EARLIER_DAYS) // 7 * 7)
    earlier = [latest - datetime.timedelta(days=14 + spacing * step) for step in range(EARLIER_DAYS - 1, -1, -1)]
    return earlier, latest


def _tuesday_on_or_before(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=(day.weekday() - 1) % 7)


def seed_expenses(world: DemoWorld) -> None:
    """Rate cards, claims in every state and one completed run. Does nothing if Northbridge has a
    rate card already."""
    if RateCard.objects.filter(organisation=world.university_a).exists():
        return
    Seeder(world).run()


def receipt_upload(words: str) -> SimpleUploadedFile:
    """A small PNG picture of a receipt saying ``words``."""
    image = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(image).multiline_text((16, 16), words, fill="black", spacing=8)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return SimpleUploadedFile("receipt.png", output.getvalue(), content_type="image/png")


class Seeder:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self.today = timezone.localdate()
        self.finance = world.users["finance@example.org"]
        self.coordinator = world.users["coordinator@example.org"]
        self.card: RateCard

    def run(self) -> None:
        self.card = services.save_rate_card(
            organisation=self.world.university_a,
            actor=self.finance,
            fees=NORTHBRIDGE_FEES,
            # From the start of the last tax year, so every demo session has its rates.
            effective_from=datetime.date(tax_year_start(self.today).year - 1, 4, 6),
            **UK_RATES,
        )
        self.southgate_card(self.world.university_b)
        self.finance_set_up()
        earlier_days, latest_day = admissions_days(self.today)
        earlier_bookings, latest_bookings = self.admissions(earlier_days, latest_day)
        paid = [self.rhys_claim(booking) for booking in earlier_bookings]
        for spec in CLAIMS:
            booking = (
                Booking.objects.filter(session__title=spec.session, status=Booking.Status.ATTENDED)
                .select_related("session", "volunteer__user")
                .order_by("pk")[spec.attendee]
            )
            claim = self.claim(booking, spec)
            if spec.status == Status.PAID:
                paid.append(claim)
        self.pay(sorted(paid, key=lambda claim: claim.pk), run_day=latest_day - datetime.timedelta(days=5))
        rhys_latest, sian_latest = latest_bookings
        self.claim(
            rhys_latest,
            DemoClaim(
                ADMISSIONS_DAY, 0, Status.SUBMITTED, _drive(str(LONG_WAY), RHYS_HOME, CAMPUS), submitted_after_days=1
            ),
        )
        self.claim(
            sian_latest,
            DemoClaim(
                ADMISSIONS_DAY, 1, Status.DRAFT, (DemoItem(Kind.SUBSISTENCE, amount="4.50", note="Lunch on campus"),)
            ),
        )
        self.budgets()

    # Budgets -------------------------------------------------------------------------------------

    def budgets(self) -> None:
        """A budget this academic year for every programme of both universities. The programme
        paying for Rhys's latest claim (waiting for approval) is set close to its budget: what
        it has spent and committed, and half of his claim, so approving it needs a reason.
        Northbridge's are set by its finance officer through the service; Southgate has no
        finance officer in the demo, so its budget is written directly."""
        year = academic_year_start(self.today)
        latest = (
            Claim.objects.filter(volunteer__user__email=RHYS, status=Status.SUBMITTED)
            .select_related("booking__session__module")
            .get()
        )
        close_key = selectors.budget_key(latest.booking.session)
        position = selectors.budget_positions([close_key])[close_key]
        half_the_claim = selectors.claim_totals(latest)["total"] / 2
        close = (position.used + half_the_claim).quantize(Decimal("10"), rounding=ROUND_DOWN)
        programmes = Programme.objects.filter(university=self.world.university_a)
        for programme in programmes.filter(academic_year=academic_year_label(year)).order_by("name"):
            if (programme.pk, year) != close_key:
                amount = DEMO_BUDGETS.get(programme.name, Decimal("3000.00"))
                services.set_budget(programme=programme, academic_year=year, amount=amount, actor=self.finance)
        services.set_budget(
            programme=programmes.get(pk=close_key[0]), academic_year=close_key[1], amount=close, actor=self.finance
        )
        for programme in Programme.objects.filter(university=self.world.university_b):
            ProgrammeBudget.objects.create(
                programme=programme, academic_year=year, amount=DEMO_BUDGETS.get(programme.name, Decimal("1500.00"))
            )

    def southgate_card(self, university: Organisation) -> None:
        card = RateCard.objects.create(
            organisation=university,
            effective_from=tax_year_start(self.today),
            **SOUTHGATE_RATES,
        )
        FeeRate.objects.bulk_create(
            FeeRate(rate_card=card, kind=kind, basis=basis, amount=amount)
            for kind, (basis, amount) in SOUTHGATE_FEES.items()
        )

    def finance_set_up(self) -> None:
        """Both universities' finance settings, their programmes' cost codes and Northbridge's payee
        references (written directly: the services record who changed them, and nobody did)."""
        for university in (self.world.university_a, self.world.university_b):
            FinanceSettings.objects.update_or_create(
                organisation=university, defaults={**FINANCE_SETTINGS[university.slug], "updated_by": self.finance}
            )
        for name, (cost_centre, nominal_code) in COST_CODES.items():
            Programme.objects.filter(name=name).update(cost_centre=cost_centre, nominal_code=nominal_code)
        PayeeReference.objects.bulk_create(
            PayeeReference(
                organisation=self.world.university_a,
                volunteer=VolunteerProfile.objects.get(user__email=email),
                reference=reference,
                recorded_by=self.finance,
            )
            for email, reference in PAYEE_REFERENCES.items()
        )

    # Sessions ------------------------------------------------------------------------------------

    def admissions(
        self, earlier_days: list[datetime.date], latest_day: datetime.date
    ) -> tuple[list[Booking], list[Booking]]:
        """Rhys attended every admissions day; Siân the last earlier one (unclaimed) and the latest."""
        rhys = VolunteerProfile.objects.get(user__email=RHYS)
        sian = VolunteerProfile.objects.get(user=self.world.volunteer)
        # This academic year's module (the demo has last year's programmes too).
        module = (
            Module.objects.filter(programme__university=self.world.university_a, code="RAD101")
            .order_by("-programme__academic_year")
            .first()
        )
        assert module is not None
        earlier = []
        for index, day in enumerate(earlier_days):
            session = self.admissions_day(module, day)
            earlier.append(self.attended(session, rhys))
            if index == len(earlier_days) - 1:
                self.attended(session, sian)
        session = self.admissions_day(module, latest_day)
        return earlier, [self.attended(session, rhys), self.attended(session, sian)]

    def admissions_day(self, module: Module, day: datetime.date) -> TeachingSession:
        return TeachingSession.objects.create(
            module=module,
            title=ADMISSIONS_DAY,
            kind=SessionKind.RECRUITMENT,
            starts_at=_at(day, 9),
            ends_at=_at(day, 12),
            venue="Room 0.12, Allied Health Building, Northbridge campus",
            places=2,
            briefing="You will sit on two interview panels with a lecturer. We will brief you at 08:45.",
            purpose="Applicants meet people with lived experience before they are offered a place.",
            owner=self.coordinator,
            status=TeachingSession.Status.COMPLETED,
        )

    def attended(self, session: TeachingSession, volunteer: VolunteerProfile) -> Booking:
        invited_at = session.starts_at - datetime.timedelta(days=14)
        booking = Booking.objects.create(
            session=session,
            volunteer=volunteer,
            status=Booking.Status.ATTENDED,
            invited_by=self.coordinator,
            invitation_expires_at=invited_at + datetime.timedelta(days=7),
            responded_at=invited_at + datetime.timedelta(days=1),
            attendance_marked_at=session.ends_at,
            hours=session.duration_hours,
        )
        Booking.objects.filter(pk=booking.pk).update(created_at=invited_at)
        return booking

    # Claims --------------------------------------------------------------------------------------

    def rhys_claim(self, booking: Booking) -> Claim:
        spec = DemoClaim(
            ADMISSIONS_DAY, 0, Status.APPROVED, _drive(str(LONG_WAY), RHYS_HOME, CAMPUS), submitted_after_days=1
        )
        return self.claim(booking, spec)

    def claim(self, booking: Booking, spec: DemoClaim) -> Claim:
        """The claim of ``spec`` for ``booking``: opened, filled in and submitted through the
        services while the claim window is open, else written directly; then decided."""
        volunteer = booking.volunteer.user
        session_day = timezone.localdate(booking.session.starts_at)
        by_services = self.today <= claim_deadline(booking, self.card)
        claim = services.open_claim(booking=booking, actor=volunteer) if by_services else self.open_directly(booking)
        for item in spec.items:
            if by_services:
                self.add_item(claim, item, session_day, volunteer)
            else:
                self.add_item_directly(claim, item, session_day)
        ended = booking.session.ends_at
        changes: dict[str, object] = {"created_at": ended + datetime.timedelta(hours=20)}
        if spec.status != Status.DRAFT:
            if by_services:
                services.submit_claim(claim=claim, actor=volunteer)
            changes.update(
                status=Status.SUBMITTED, submitted_at=ended + datetime.timedelta(days=spec.submitted_after_days)
            )
        if spec.status == Status.REJECTED:
            services.add_prepaid_cost(
                booking=booking,
                actor=self.coordinator,
                description="Return train ticket, booked by the university",
                amount=Decimal("38.50"),
            )
        if spec.status in DECIDED:
            decider = self.finance if spec.status == Status.REJECTED else self.coordinator
            status = Status.APPROVED if spec.status == Status.PAID else spec.status
            changes.update(
                status=status,
                decided_at=ended + datetime.timedelta(days=spec.submitted_after_days + 2),
                decided_by=decider,
                decision_note=spec.note,
            )
            record_activity(actor=decider, action=f"claim.{status}", target=claim, organisation=self.world.university_a)
        Claim.objects.filter(pk=claim.pk).update(**changes)
        claim.refresh_from_db()
        return claim

    def open_directly(self, booking: Booking) -> Claim:
        due = fee_due(booking, self.card)
        choice = services.default_fee_choice(booking.volunteer)
        return Claim.objects.create(
            booking=booking,
            volunteer=booking.volunteer,
            opened_by=booking.volunteer.user,
            fee_due=due,
            fee_choice=choice,
            fee_requested=due if choice == Claim.FeeChoice.TAKE else Decimal("0.00"),
        )

    def add_item(self, claim: Claim, item: DemoItem, day: datetime.date, actor: User) -> None:
        services.add_item(
            claim=claim,
            actor=actor,
            kind=item.kind,
            date=day,
            amount=Decimal(item.amount) if item.amount else None,
            note=item.note,
            miles=Decimal(item.miles) if item.miles else None,
            vehicle=item.vehicle,
            from_postcode=item.route[0],
            to_postcode=item.route[1],
            receipt_file=receipt_upload(item.receipt) if item.receipt else None,
        )

    def add_item_directly(self, claim: Claim, item: DemoItem, day: datetime.date) -> None:
        """Older history (mileage only): the amount worked out by the same rule as add_item."""
        miles = Decimal(item.miles)
        before = car_miles_before(claim.volunteer, day)
        ClaimItem.objects.create(
            claim=claim,
            kind=item.kind,
            date=day,
            amount=mileage_amount(card=self.card, vehicle=item.vehicle, miles=miles, miles_before=before),
            note=item.note,
            miles=miles,
            vehicle=item.vehicle,
            from_postcode=item.route[0],
            to_postcode=item.route[1],
        )

    # The run -------------------------------------------------------------------------------------

    def pay(self, claims: list[Claim], run_day: datetime.date) -> ReimbursementRun:
        """One completed run paying ``claims`` (all approved) as a preview and execute_run would,
        without the remittance emails: its lines, then a payment per line with its stable key."""
        started = _at(run_day, 10)
        finished = started + datetime.timedelta(minutes=2)
        run = ReimbursementRun.objects.create(
            organisation=self.world.university_a,
            previewed_by=self.finance,
            started_by=self.finance,
            status=ReimbursementRun.Status.COMPLETED,
            started_at=started,
            claims_total=len(claims),
            claims_done=len(claims),
            finished_at=finished,
        )
        paying = {claim.pk for claim in claims}
        lines = [line for line in selectors.payable_lines(self.world.university_a) if line.claim_id in paying]
        for line in lines:
            RunLine.objects.create(
                run=run,
                claim_id=line.claim_id,
                kind=line.kind,
                amount=line.amount,
                route=line.route,
                payee_reference=line.payee_reference,
                cost_centre=line.cost_centre,
                nominal_code=line.nominal_code,
            )
        by_pk = {claim.pk: claim for claim in claims}
        for line in lines:
            claim = by_pk[line.claim_id]
            Payment.objects.create(
                key=services.payment_key(claim, line.kind),
                run=run,
                claim=claim,
                volunteer=claim.volunteer,
                kind=line.kind,
                amount=line.amount,
                paid_on=run_day,
                route=line.route,
                payee_reference=line.payee_reference,
                cost_centre=line.cost_centre,
                nominal_code=line.nominal_code,
            )
        Claim.objects.filter(pk__in=paying).update(status=Status.PAID, paid_at=finished)
        record_activity(actor=self.finance, action="run.previewed", target=run, organisation=run.organisation)
        record_activity(actor=self.finance, action="run.started", target=run, organisation=run.organisation)
        record_activity(actor=None, action="run.completed", target=run, organisation=run.organisation)
        ReimbursementRun.objects.filter(pk=run.pk).update(created_at=started, updated_at=finished)
        return run
