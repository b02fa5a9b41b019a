"""Claims, receipts, rate cards, payments and reimbursement runs. Money is ``Decimal`` pounds."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Organisation
from involvement import formatting
from involvement.models import TimeStampedModel
from sessions_app.models import Booking, Programme, TeachingSession
from volunteers.models import VolunteerProfile


class RateCardQuerySet(models.QuerySet["RateCard"]):
    def in_force(self, organisation: Organisation | int, on: datetime.date) -> RateCard | None:
        """The card in force at ``organisation`` on ``on``: the latest that took effect by then."""
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
        return self.in_force_on([(organisation_id, on)])[(organisation_id, on)]

    def in_force_on(
        self, wanted: Iterable[tuple[int, datetime.date]]
    ) -> dict[tuple[int, datetime.date], RateCard | None]:
        """``in_force`` for many (organisation id, day) pairs, in one query: the one place that
        says which card is in force (the latest that took effect by the day)."""
        pairs = set(wanted)
        if not pairs:
            return {}
        cards = list(
            self.filter(
                organisation_id__in={organisation_id for organisation_id, _day in pairs},
                effective_from__lte=max(day for _organisation_id, day in pairs),
            ).order_by("-effective_from")
        )
        return {
            (organisation_id, day): next(
                (card for card in cards if card.organisation_id == organisation_id and card.effective_from <= day), None
            )
            for organisation_id, day in pairs
        }


class RateCard(TimeStampedModel):
    """A university's rates from a date: fees, mileage, subsistence, receipts and the claim window."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="rate_cards")
    effective_from = models.DateField()
    car_rate = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.45"), help_text="Per mile, up to the threshold."
    )
    car_rate_after_threshold = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.25"))
    car_threshold_miles = models.PositiveIntegerField(default=10_000, help_text="Per volunteer per UK tax year.")
    motorcycle_rate = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.24"))
    bicycle_rate = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.20"))
    subsistence_cap = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("15.00"), help_text="Per claim."
    )
    receipts_required_for = models.JSONField(
        default=list, blank=True, help_text="Kinds of expense that need a receipt (codes of ClaimItem.Kind)."
    )
    claim_window_months = models.PositiveSmallIntegerField(default=3)
    item_ceiling = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("500.00"), help_text="No single item may be more than this."
    )
    approval_target_days = models.PositiveSmallIntegerField(default=10)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = RateCardQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "effective_from"], name="rate_card_one_per_day"),
            models.CheckConstraint(
                condition=Q(car_rate__gte=0)
                & Q(car_rate_after_threshold__gte=0)
                & Q(motorcycle_rate__gte=0)
                & Q(bicycle_rate__gte=0)
                & Q(subsistence_cap__gte=0)
                & Q(item_ceiling__gt=0),
                name="rate_card_rates_not_negative",
            ),
            models.CheckConstraint(condition=Q(claim_window_months__gte=1), name="rate_card_window_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} rates from {formatting.day(self.effective_from)}"


class FeeRate(models.Model):
    """The involvement fee for one kind of session: per hour or per session."""

    class Basis(models.TextChoices):
        PER_HOUR = "per_hour", "Per hour"
        PER_SESSION = "per_session", "Per session"

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="fee_rates")
    kind = models.CharField(max_length=20, choices=TeachingSession.Kind.choices)
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.PER_HOUR)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["rate_card", "kind"], name="fee_rate_one_per_kind"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_rate_not_negative"),
            models.CheckConstraint(condition=Q(basis__in=["per_hour", "per_session"]), name="fee_rate_basis_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: £{self.amount} {self.get_basis_display().lower()}"


class BookingArrangement(TimeStampedModel):
    """What the university arranged for a booking: a taxi agreed in advance, costs it paid itself."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="arrangement")
    taxi_preapproved = models.BooleanField(default=False)
    notes = models.TextField(blank=True, max_length=1000)

    def __str__(self) -> str:
        return f"Arrangements for {self.booking}"


class PrepaidCost(TimeStampedModel):
    """A cost the university paid or booked itself (a train ticket, a hotel): shown, never reimbursed."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="prepaid_costs")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="prepaid_cost_positive")]

    def __str__(self) -> str:
        return f"{self.description} (£{self.amount}, prepaid)"


class ClaimQuerySet(models.QuerySet["Claim"]):
    def for_university(self, university_ids: list[int]) -> Self:
        return self.filter(booking__session__module__programme__university_id__in=university_ids)


class Claim(TimeStampedModel):
    """A volunteer's claim for one attended booking: expenses and the fee due.

    draft → submitted → approved | rejected | returned; returned → submitted; approved → paid.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for changes"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PAID = "paid", "Paid"

    class FeeChoice(models.TextChoices):
        TAKE = "take", "Take the fee"
        REDUCED = "reduced", "Take a reduced amount"
        DONATE = "donate", "Donate the fee to my charity"
        DECLINE = "decline", "No fee, thank you"

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="claim")
    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on_behalf = models.BooleanField(default=False, help_text="Opened by staff from a paper claim.")
    fee_choice = models.CharField(max_length=10, choices=FeeChoice.choices, default=FeeChoice.TAKE)
    fee_due = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), help_text="By the rate card."
    )
    fee_requested = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), help_text="What the volunteer takes."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True, help_text="The reason for a rejection or what to change.")
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="claim_status_submitted_idx"),
            # The approvers' queues of returned (latest first) and approved (oldest first) claims.
            models.Index(fields=["status", "decided_at"], name="claim_status_decided_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "returned", "approved", "rejected", "paid"]),
                name="claim_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(fee_choice__in=["take", "reduced", "donate", "decline"]), name="claim_fee_choice_valid"
            ),
            models.CheckConstraint(
                condition=Q(fee_requested__gte=0) & Q(fee_requested__lte=F("fee_due")),
                name="claim_fee_requested_within_due",
            ),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_at__isnull=False), name="claim_paid_has_time"),
        ]

    def __str__(self) -> str:
        return f"Claim {self.reference}"

    @property
    def reference(self) -> str:
        return f"CLM-{self.pk:06d}"

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.RETURNED}


class Receipt(TimeStampedModel):
    """A checked receipt file (PDF, JPEG or PNG), kept outside the static tree."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="receipts")
    file = models.FileField(upload_to="receipts/%Y/%m/")
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the file was deleted, at the end of the finance retention period (the row stays).",
    )

    def __str__(self) -> str:
        return self.original_name


class ClaimItem(TimeStampedModel):
    class Kind(models.TextChoices):
        MILEAGE = "mileage", "Mileage"
        PUBLIC_TRANSPORT = "public_transport", "Public transport"
        TAXI = "taxi", "Taxi (agreed in advance)"
        PARKING = "parking", "Parking"
        SUBSISTENCE = "subsistence", "Food and drink"
        CARER = "carer", "Replacement carer or childcare"
        SUPPORT_WORKER = "support_worker", "Support worker"
        HOME_ONLINE = "home_online", "Home or online costs"
        OTHER = "other", "Other"

    class Vehicle(models.TextChoices):
        CAR = "car", "Car or van"
        MOTORCYCLE = "motorcycle", "Motorcycle"
        BICYCLE = "bicycle", "Bicycle"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    miles = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    from_postcode = models.CharField(max_length=10, blank=True)
    to_postcode = models.CharField(max_length=10, blank=True)
    vehicle = models.CharField(max_length=12, choices=Vehicle.choices, blank=True)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_item_amount_positive"),
            models.CheckConstraint(
                condition=~Q(kind="mileage") | (Q(miles__gt=0) & ~Q(vehicle="")), name="claim_item_mileage_has_miles"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} £{self.amount}"


class PayRoute(models.TextChoices):
    """How a university pays: fees often through payroll, expenses through accounts payable."""

    PAYROLL = "payroll", "Payroll"
    ACCOUNTS_PAYABLE = "accounts_payable", "Accounts payable"


class ReimbursementRun(TimeStampedModel):
    """One finance run of a university: first a preview of exactly what it will pay (its
    ``RunLine`` rows), then, once started, the payment of those lines and nothing else.

    preview → queued → running → completed. A preview that is never started stays a preview; one
    made before another run of the university started is stale and cannot be started."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Preview"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reimbursement_runs")
    previewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    runs_started_before = models.PositiveIntegerField(
        default=0,
        help_text="How many runs of the university had started when this preview was made: one more since "
        "makes the preview stale.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    claims_total = models.PositiveIntegerField(default=0)
    claims_done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["preview", "queued", "running", "completed"]),
                name="reimbursement_run_status_valid",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status__in=["queued", "running"]),
                name="reimbursement_run_one_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} at {self.organisation}"

    @property
    def is_preview(self) -> bool:
        return self.status == self.Status.PREVIEW


class Payment(TimeStampedModel):
    """One payment of a claim's expenses or its fee. The key makes a second one impossible.

    The route, payee reference and cost codes are copied from the run's line when it is paid, so
    a later change of a reference, a code or a route never rewrites what was paid."""

    class Kind(models.TextChoices):
        EXPENSES = "expenses", "Expenses"
        FEE = "fee", "Involvement fee"

    key = models.CharField(max_length=60, unique=True)
    run = models.ForeignKey(ReimbursementRun, on_delete=models.PROTECT, related_name="payments")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    paid_on = models.DateField(default=timezone.localdate)
    # Copied from the run line when paid; the default only serves rows written by hand (the admin has none).
    route = models.CharField(max_length=20, choices=PayRoute.choices, default=PayRoute.ACCOUNTS_PAYABLE)
    payee_reference = models.CharField(max_length=30, blank=True, help_text="Wiped when the volunteer is erased.")
    cost_centre = models.CharField(max_length=12, blank=True)
    nominal_code = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["run", "key"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=["expenses", "fee"]), name="payment_kind_valid"),
            models.CheckConstraint(condition=Q(route__in=["payroll", "accounts_payable"]), name="payment_route_valid"),
            models.UniqueConstraint(fields=["claim", "kind"], name="payment_one_per_claim_and_kind"),
        ]
        # A run's page lists its payments payroll first, then by key (and an export one route's).
        indexes = [models.Index(fields=["run", "-route", "key"], name="payment_run_route_key_idx")]

    def __str__(self) -> str:
        return f"{self.key}: £{self.amount}"


class RunLine(models.Model):
    """One payment a run will make (a claim's expenses or its fee), fixed when the run is
    previewed: the amount, the route that pays it and the codes the finance system needs. Starting
    the run pays these lines and no others; each becomes one Payment with the same figures."""

    run = models.ForeignKey(ReimbursementRun, on_delete=models.CASCADE, related_name="lines")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="run_lines")
    kind = models.CharField(max_length=10, choices=Payment.Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    route = models.CharField(max_length=20, choices=PayRoute.choices)
    payee_reference = models.CharField(max_length=30)
    cost_centre = models.CharField(max_length=12, blank=True)
    nominal_code = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["run", "route", "claim", "kind"]
        # A preview's page lists its lines payroll first, then by claim and kind.
        indexes = [models.Index(fields=["run", "-route", "claim", "kind"], name="run_line_page_idx")]
        constraints = [
            models.UniqueConstraint(fields=["run", "claim", "kind"], name="run_line_one_per_claim_and_kind"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="run_line_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=["expenses", "fee"]), name="run_line_kind_valid"),
            models.CheckConstraint(condition=Q(route__in=["payroll", "accounts_payable"]), name="run_line_route_valid"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id}: {self.get_kind_display()} of claim {self.claim_id}, £{self.amount}"


class FinanceSettings(TimeStampedModel):
    """How one university pays involvement: the route for fees and for expenses, where volunteers
    find its payee form, and how many days from a claim being sent to its payment it aims for.
    A university without a row pays by the defaults (``FinanceSettings.for_university``)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="finance_settings")
    fee_route = models.CharField(max_length=20, choices=PayRoute.choices, default=PayRoute.PAYROLL)
    expenses_route = models.CharField(max_length=20, choices=PayRoute.choices, default=PayRoute.ACCOUNTS_PAYABLE)
    payee_form_url = models.URLField(
        blank=True,
        max_length=500,
        help_text="The page where a volunteer finds the university's payee (supplier or payroll) form.",
    )
    payment_target_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days from a claim being sent to its payment."
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name_plural = "finance settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_route__in=["payroll", "accounts_payable"])
                & Q(expenses_route__in=["payroll", "accounts_payable"]),
                name="finance_settings_routes_valid",
            ),
            models.CheckConstraint(condition=Q(payment_target_days__gte=1), name="finance_settings_target_positive"),
        ]

    def __str__(self) -> str:
        return f"Finance settings of {self.organisation}"

    @classmethod
    def for_university(cls, organisation: Organisation | int) -> FinanceSettings:
        """The university's settings, or unsaved defaults when it has none yet."""
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
        found = cls.objects.filter(organisation_id=organisation_id).first()
        return found or cls(organisation_id=organisation_id)


class PayeeReference(TimeStampedModel):
    """A volunteer's payee (supplier or payroll) reference in one university's finance system.
    Bank details stay in that system: this platform never holds them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="payee_references")
    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="payee_references")
    reference = models.CharField(max_length=30)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["organisation", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "volunteer"], name="payee_reference_one_per_volunteer"),
            models.UniqueConstraint(fields=["organisation", "reference"], name="payee_reference_unique_per_university"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} at {self.organisation}"


class ProgrammeBudget(TimeStampedModel):
    """A programme's involvement budget for one academic year (from 1 September ``academic_year``),
    for fees and expenses together."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budgets")
    academic_year = models.PositiveSmallIntegerField(help_text="The year the academic year starts, e.g. 2026.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["programme", "-academic_year"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "academic_year"], name="programme_budget_one_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="programme_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} {self.academic_year}/{str(self.academic_year + 1)[-2:]}: £{self.amount}"
