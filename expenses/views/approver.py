"""The approvers' pages: the claims queue, a claim's review, approving, rejecting and returning it,
opening a paper claim on a volunteer's behalf, downloading a receipt, and a booking's arrangements
(a taxi agreed in advance, costs the university paid itself).

Coordinators and finance officers approve (anyone else: 403); claims come through
``claims_for_approver`` and bookings from the universities where the user holds the role, so
another university's id gives 404. Arrangements are the coordinators' alone. A receipt needs only
sign-in: ``receipts_visible_to`` lets the claimant, the approvers and finance of that university
have it, and anyone else finds it missing (404). Every write is a call to ``expenses.services``;
a ClaimError is shown on the page (status 400) with nothing changed.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Membership, Organisation
from accounts.permissions import RoleRequiredMixin, acting_user, organisations_with_role
from expenses import services
from expenses.forms.approver import ConfirmForm, PrepaidCostForm, RejectForm, ReturnForm, TaxiForm
from expenses.models import BookingArrangement, Claim, PrepaidCost, RateCard, Receipt
from expenses.permissions import APPROVER_ROLES, approver_universities, claims_for_approver, receipts_visible_to
from expenses.receipts import EXTENSIONS
from expenses.services import ClaimError
from involvement.forms_views import FormT, ServiceFormView
from sessions_app.models import Booking

COORDINATOR = Membership.Role.COORDINATOR
ClaimStatus = Claim.Status
PAGE_SIZE = 50
SHOWS = {
    "submitted": "Waiting for a decision",
    "overdue": "Overdue",
    "returned": "Returned for changes",
    "approved": "Approved, waiting for payment",
    "all": "All claims",
}
# Oldest first where someone is waiting; the latest first for the whole list.
ORDERINGS = {
    "submitted": ("submitted_at", "pk"),
    "overdue": ("submitted_at", "pk"),
    "returned": ("-decided_at", "-pk"),
    "approved": ("decided_at", "pk"),
    "all": ("-created_at", "-pk"),
}
WAITING = {ClaimStatus.SUBMITTED, ClaimStatus.APPROVED}
UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9 ()_-]+")


# Reads ---------------------------------------------------------------------------------------------


def approval_cutoffs(university_ids: list[int], now: datetime.datetime) -> dict[int, datetime.datetime]:
    """For each university: a claim submitted before this moment is overdue. The target days come
    from the rate card in force today, found by the database in one query (a university without
    a card has the card's default target)."""
    default = RateCard._meta.get_field("approval_target_days").get_default()
    in_force = RateCard.objects.filter(organisation=OuterRef("pk"), effective_from__lte=timezone.localdate(now))
    targets = (
        Organisation.objects.filter(pk__in=university_ids)
        .annotate(target=Subquery(in_force.order_by("-effective_from").values("approval_target_days")[:1]))
        .values_list("pk", "target")
    )
    return {pk: now - datetime.timedelta(days=default if target is None else target) for pk, target in targets}


def overdue(claims: QuerySet[Claim], cutoffs: dict[int, datetime.datetime]) -> QuerySet[Claim]:
    """Submitted claims waiting longer than their university's target. ``claims`` must carry the
    ``university_pk`` annotation of ``queue_rows``."""
    late = [Q(university_pk=pk, submitted_at__lt=cutoff) for pk, cutoff in cutoffs.items()]
    return claims.filter(Q(status=ClaimStatus.SUBMITTED) & functools.reduce(operator.or_, late, Q(pk__in=[])))


def queue_rows(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Each claim with its volunteer and session, its university's id, and its expenses and total
    (expenses and the fee taken) summed by the database: one query for the whole page."""
    expenses = Coalesce(
        Sum("items__amount"), Value(Decimal("0.00")), output_field=DecimalField(max_digits=12, decimal_places=2)
    )
    return (
        claims.select_related("volunteer__user", "booking__session")
        .annotate(university_pk=F("booking__session__module__programme__university_id"), expenses_total=expenses)
        .annotate(total=F("expenses_total") + F("fee_requested"))
    )


def days_waiting(claim: Claim, today: datetime.date) -> int | None:
    """Days since submission while the claim waits for a decision or for payment (else None)."""
    if claim.status not in WAITING or claim.submitted_at is None:
        return None
    return (today - timezone.localdate(claim.submitted_at)).days


def approver_bookings(university_ids: list[int]) -> QuerySet[Booking]:
    """Bookings into sessions of these universities."""
    return Booking.objects.filter(session__module__programme__university_id__in=university_ids).select_related(
        "session__module__programme__university", "volunteer__user"
    )


def download_name(receipt: Receipt) -> str:
    """The uploader's name for the file, without any folders or characters that could trouble a
    header or a file system, ending with the extension of what the file really is."""
    name = receipt.original_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"_+", "_", UNSAFE_IN_NAMES.sub("_", stem)).strip(" ._-")[:80].strip(" ._-")
    return f"{stem or 'receipt'}.{EXTENSIONS.get(receipt.content_type, 'bin')}"


@dataclass(frozen=True)
class Decision:
    """What a decision page asks and says."""

    action: str
    heading: str
    button: str
    style: str


# Shared parts --------------------------------------------------------------------------------------


class ApproverMixin(RoleRequiredMixin):
    """Coordinators and finance officers (else 403); claims of their universities (else 404)."""

    required_roles = APPROVER_ROLES
    kwargs: dict[str, Any]

    def claims(self) -> QuerySet[Claim]:
        return claims_for_approver(acting_user(self.request))


class ClaimMixin(ApproverMixin):
    """A page about one claim of the approver's universities."""

    def get_claim(self) -> Claim:
        if not hasattr(self, "_claim"):
            self._claim = get_object_or_404(
                self.claims().select_related(
                    "booking__session__module__programme__university", "volunteer__user", "decided_by", "opened_by"
                ),
                pk=self.kwargs["pk"],
            )
        return self._claim

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["claim"] = claim = self.get_claim()
        context["session"] = claim.booking.session
        context["totals"] = services.claim_totals(claim)
        return context


# The queue -----------------------------------------------------------------------------------------


class QueueView(ApproverMixin, TemplateView):
    """Claims waiting for a decision (the default), overdue, returned, approved, or all, 50 to a
    page, in a fixed number of queries."""

    template_name = "expenses/approver/claim_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "submitted")
        show = show if show in SHOWS else "submitted"
        now = timezone.now()
        cutoffs = approval_cutoffs(approver_universities(acting_user(self.request)), now)
        claims = queue_rows(self.claims())
        if show == "overdue":
            claims = overdue(claims, cutoffs)
        elif show != "all":
            claims = claims.filter(status=show)
        page = Paginator(claims.order_by(*ORDERINGS[show]), PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows: list[Claim] = list(page.object_list)
        today = timezone.localdate(now)
        for claim in rows:
            cutoff = cutoffs[claim.university_pk]  # type: ignore[attr-defined]  # annotated by queue_rows
            late = (
                claim.status == ClaimStatus.SUBMITTED and claim.submitted_at is not None and claim.submitted_at < cutoff
            )
            claim.days_waiting = days_waiting(claim, today)  # type: ignore[attr-defined]  # for the template
            claim.is_overdue = late  # type: ignore[attr-defined]  # for the template
        context.update(show=show, shows=SHOWS, heading=SHOWS[show], page_obj=page, claims=rows)
        return context


# Reviewing and deciding ----------------------------------------------------------------------------


class ReviewView(ClaimMixin, TemplateView):
    """Everything about a claim an approver needs, and while it is submitted the three decisions."""

    template_name = "expenses/approver/claim_review.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim: Claim = context["claim"]
        context.update(
            items=list(claim.items.select_related("receipt")),
            prepaid=list(PrepaidCost.objects.filter(booking=claim.booking_id)),
            deciding=claim.status == ClaimStatus.SUBMITTED,
            reject_form=RejectForm(),
            return_form=ReturnForm(),
        )
        return context


class DecisionView(ClaimMixin, ServiceFormView[FormT]):
    """GET: the confirmation (or the form with the reason); POST: the decision through one
    service, then back to the queue. Bad input or a ClaimError (one's own claim, a claim already
    decided) re-renders the page with status 400 and nothing changed."""

    domain_error = ClaimError
    decision: Decision

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["decision"] = self.decision
        context["deciding"] = context["claim"].status == ClaimStatus.SUBMITTED
        return context

    def get_success_url(self) -> str:
        return reverse("expenses:queue")


class ApproveView(DecisionView[ConfirmForm]):
    template_name = "expenses/approver/claim_decision.html"
    form_class = ConfirmForm
    decision = Decision("approve", "Approve", "Approve the claim", "btn-primary")

    def act(self, form: ConfirmForm) -> str:
        claim = services.approve_claim(claim=self.get_claim(), actor=acting_user(self.request))
        name = claim.volunteer.display_name
        return f"Claim {claim.reference} is approved. We have emailed {name} to let them know."


class RejectView(DecisionView[RejectForm]):
    template_name = "expenses/approver/claim_decision.html"
    form_class = RejectForm
    decision = Decision("reject", "Reject", "Reject the claim", "btn-danger")

    def act(self, form: RejectForm) -> str:
        claim = services.reject_claim(
            claim=self.get_claim(), actor=acting_user(self.request), reason=form.cleaned_data["reason"]
        )
        name = claim.volunteer.display_name
        return f"Claim {claim.reference} is rejected. We have emailed {name} with your reason."


class ReturnView(DecisionView[ReturnForm]):
    template_name = "expenses/approver/claim_decision.html"
    form_class = ReturnForm
    decision = Decision("return", "Return", "Return the claim for changes", "btn-primary")

    def act(self, form: ReturnForm) -> str:
        claim = services.return_claim(
            claim=self.get_claim(), actor=acting_user(self.request), note=form.cleaned_data["note"]
        )
        name = claim.volunteer.display_name
        return f"Claim {claim.reference} is returned to {name}. We have emailed them your note."


# A paper claim -------------------------------------------------------------------------------------


class ClaimOnBehalfView(ApproverMixin, TemplateView):
    """Confirm, then open the claim for an attended booking on the volunteer's behalf (recorded as
    such) and go to the claim page to enter the paper claim's items."""

    template_name = "expenses/approver/claim_on_behalf.html"

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            bookings = approver_bookings(approver_universities(acting_user(self.request)))
            self._booking = get_object_or_404(bookings, pk=self.kwargs["booking_pk"])
        return self._booking

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["booking"] = booking = self.get_booking()
        context["session"] = booking.session
        context["existing"] = Claim.objects.filter(booking=booking).first()
        context.setdefault("form", ConfirmForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ConfirmForm(request.POST)
        try:
            claim = services.open_claim(booking=self.get_booking(), actor=acting_user(request))
        except ClaimError as error:
            form.add_error(None, str(error))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, "The claim is open. Please add each item from the paper claim, then send it.")
        return redirect("expenses:claim", pk=claim.pk)


# Receipts ------------------------------------------------------------------------------------------


class ReceiptDownloadView(LoginRequiredMixin, View):
    """The receipt file as a download, to those ``receipts_visible_to`` lets have it (else 404)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FileResponse:
        receipt = get_object_or_404(receipts_visible_to(acting_user(request)), pk=kwargs["pk"])
        try:
            handle = receipt.file.storage.open(receipt.file.name, "rb")
        except FileNotFoundError as error:
            raise Http404("The receipt file is missing.") from error
        response = FileResponse(
            handle, as_attachment=True, filename=download_name(receipt), content_type=receipt.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# Arrangements --------------------------------------------------------------------------------------


class ArrangementsView(RoleRequiredMixin, TemplateView):
    """A booking's taxi agreement and the costs the university paid itself. Two forms, told apart
    by the button pressed (``action``); each goes to one service."""

    required_roles = (COORDINATOR,)
    template_name = "expenses/approver/booking_arrangements.html"
    kwargs: dict[str, Any]

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            universities = organisations_with_role(acting_user(self.request), [COORDINATOR])
            self._booking = get_object_or_404(approver_bookings(universities), pk=self.kwargs["pk"])
        return self._booking

    def taxi_form(self, data: Any = None) -> TaxiForm:
        arrangement = BookingArrangement.objects.filter(booking=self.get_booking()).first()
        initial = {"taxi_preapproved": arrangement.taxi_preapproved, "notes": arrangement.notes} if arrangement else {}
        return TaxiForm(data, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        booking = self.get_booking()
        prepaid = list(PrepaidCost.objects.filter(booking=booking).select_related("recorded_by"))
        context.update(booking=booking, session=booking.session, prepaid=prepaid)
        context["prepaid_total"] = sum((cost.amount for cost in prepaid), Decimal("0.00"))
        context.setdefault("taxi_form", self.taxi_form())
        context.setdefault("cost_form", PrepaidCostForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action")
        if action == "prepaid":
            return self.add_cost(PrepaidCostForm(request.POST))
        if action == "taxi":
            return self.save_taxi(self.taxi_form(request.POST))
        messages.warning(request, "Please use one of the buttons on the page.")
        return self.render_to_response(self.get_context_data(), status=400)

    def save_taxi(self, form: TaxiForm) -> HttpResponse:
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(taxi_form=form), status=400)
        approved = form.cleaned_data["taxi_preapproved"]
        actor, booking = acting_user(self.request), self.get_booking()
        services.set_taxi_preapproval(booking=booking, actor=actor, approved=approved, notes=form.cleaned_data["notes"])
        name = booking.volunteer.display_name
        message = f"{name} can claim a taxi for this session." if approved else f"No taxi is agreed for {name}."
        messages.success(self.request, message)
        return redirect("expenses:arrangements", pk=booking.pk)

    def add_cost(self, form: PrepaidCostForm) -> HttpResponse:
        if form.is_valid():
            try:
                cost = services.add_prepaid_cost(
                    booking=self.get_booking(), actor=acting_user(self.request), **form.cleaned_data
                )
            except ClaimError as error:
                form.add_error("amount", str(error))
            else:
                messages.success(
                    self.request, f"Recorded {cost.description} (£{cost.amount:.2f}), paid by the university."
                )
                return redirect("expenses:arrangements", pk=cost.booking_id)
        return self.render_to_response(self.get_context_data(cost_form=form), status=400)
