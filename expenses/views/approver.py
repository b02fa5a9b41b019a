"""The approvers' pages: the claims queue, a claim's review, approving, rejecting and returning it,
opening a paper claim on a volunteer's behalf, downloading a receipt, and a booking's arrangements
(a taxi agreed in advance, costs the university paid itself).

Coordinators and finance officers approve (anyone else: 403); claims come through
``selectors.claims_for_approver`` and bookings from the universities where the user holds the
role, so another university's id gives 404. Arrangements are the coordinators' alone. A receipt
needs only sign-in: ``selectors.receipts_visible_to`` lets the claimant, the approvers and finance
of that university have it, and anyone else finds it missing (404). Whether a decision can be
made is ``permissions.can_decide``. Every write is a call to ``expenses.services``; a ClaimError
is shown on the page (status 400) by the field it names, with nothing changed.

Beside a claim, the review and approve pages show its programme's budget for the academic year
(``selectors.claim_budget_position``) and what approving the claim brings it to; past the budget,
approving needs a reason (``permissions.over_budget_refusal``, enforced by ``approve_claim``). The
queue shows the budgets of the programmes on the page, and every claim's days to payment
(``selectors.with_days_to_payment``), which it can sort by.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Membership
from accounts.permissions import RoleRequiredMixin, acting_user, organisations_with_role
from expenses import permissions, selectors, services
from expenses.forms.approver import ApproveForm, ConfirmForm, PrepaidCostForm, RejectForm, ReturnForm, TaxiForm
from expenses.models import Claim, Receipt
from expenses.receipts import EXTENSIONS
from expenses.services import ClaimError
from involvement.forms_views import FormT, ServiceFormView
from sessions_app.clock import LONDON
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
# The usual order of each view (above), or the claims waiting longest for payment first.
SORTS = {"usual": "Usual order", "days": "Longest waiting for payment first"}
UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9 ()_-]+")


def download_name(receipt: Receipt) -> str:
    """The uploader's name for the file, without any folders or characters that could trouble a
    header or a file system, ending with the extension of what the file really is."""
    name = receipt.original_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"_+", "_", UNSAFE_IN_NAMES.sub("_", stem)).strip(" ._-")[:80].strip(" ._-")
    return f"{stem or 'receipt'}.{EXTENSIONS.get(receipt.content_type, 'bin')}"


@dataclass(frozen=True)
class ClaimBudget:
    """The budget paying for a claim under review (``position``), and the claim's totals. Only a
    claim waiting for a decision adds to the budget's commitments when approved; an approved or
    paid one is in them already."""

    claim: Claim
    position: selectors.BudgetPosition
    totals: dict[str, Decimal]

    @property
    def deciding(self) -> bool:
        return self.claim.status == ClaimStatus.SUBMITTED

    @property
    def after(self) -> Decimal:
        """Spent and committed once this claim is approved."""
        return self.position.after(self.totals["total"])

    @property
    def goes_over(self) -> bool:
        """Whether approving it takes the programme past its budget (it needs a reason)."""
        return self.deciding and permissions.approval_goes_over_budget(self.position, self.totals["total"])

    @property
    def over_by(self) -> Decimal:
        """How far past the budget approving this claim takes it (£0.00 within it)."""
        budget = self.position.budget
        return Decimal("0.00") if budget is None else max(self.after - budget, Decimal("0.00"))


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

    required_roles = selectors.APPROVER_ROLES
    kwargs: dict[str, Any]

    def claims(self) -> QuerySet[Claim]:
        return selectors.claims_for_approver(acting_user(self.request))


class ApproverClaimMixin(ApproverMixin):
    """A page about one claim of the approver's universities, with whether they may decide on it."""

    def get_claim(self) -> Claim:
        if not hasattr(self, "_claim"):
            claims = selectors.with_days_to_payment(
                selectors.with_claim_page_joins(self.claims()), timezone.localdate(timezone.now(), LONDON)
            )
            self._claim = get_object_or_404(claims, pk=self.kwargs["pk"])
        return self._claim

    def get_budget(self) -> ClaimBudget:
        """The claim's programme budget, and what approving the claim would bring it to."""
        if not hasattr(self, "_budget"):
            claim = self.get_claim()
            self._budget = ClaimBudget(claim, selectors.claim_budget_position(claim), selectors.claim_totals(claim))
        return self._budget

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        context["claim"] = claim = self.get_claim()
        actor = acting_user(self.request)
        budget = self.get_budget()
        context["session"] = claim.booking.session
        context["totals"] = budget.totals
        context["deciding"] = permissions.can_decide(claim, actor)
        context["decide_refusal"] = permissions.decide_refusal(claim, actor)
        context["budget"] = budget
        return context


# The queue -----------------------------------------------------------------------------------------


class QueueView(ApproverMixin, TemplateView):
    """Claims waiting for a decision (the default), overdue, returned, approved, or all, 50 to a
    page, in each view's usual order or longest waiting for payment first (``?sort=days``), with
    the budgets of the programmes on the page: in a fixed number of queries (one more for each
    further academic year the page's claims fall in)."""

    template_name = "expenses/approver/claim_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "submitted")
        show = show if show in SHOWS else "submitted"
        sort = self.request.GET.get("sort", "usual")
        sort = sort if sort in SORTS else "usual"
        now = timezone.now()
        cutoffs = selectors.approval_cutoffs(selectors.approver_universities(acting_user(self.request)), now)
        claims = selectors.with_days_to_payment(
            selectors.queue_page_rows(self.claims()), timezone.localdate(now, LONDON)
        )
        if show == "overdue":
            claims = selectors.overdue(claims, cutoffs)
        elif show != "all":
            claims = claims.filter(status=show)
        ordering = selectors.QUEUE_SORTS_BY_DAYS if sort == "days" else ORDERINGS[show]
        page = Paginator(claims.order_by(*ordering), PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = selectors.with_waiting(page.object_list, cutoffs)
        positions = selectors.budget_positions(selectors.budget_key(claim.booking.session) for claim in rows)
        context.update(
            show=show,
            shows=SHOWS,
            sort=sort,
            sorts=SORTS,
            heading=SHOWS[show],
            page_obj=page,
            claims=rows,
            budgets=sorted(positions.values(), key=lambda position: (position.programme, position.academic_year)),
        )
        return context


# Reviewing and deciding ----------------------------------------------------------------------------


class ReviewView(ApproverClaimMixin, TemplateView):
    """Everything about a claim an approver needs, and while they may decide on it the three
    decisions; on a paper claim still open, the way to its items."""

    template_name = "expenses/approver/claim_review.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim: Claim = context["claim"]
        context.update(
            items=list(selectors.claim_items(claim)),
            prepaid=list(selectors.prepaid_costs(claim.booking_id)),
            can_edit=permissions.can_edit_claim(claim, acting_user(self.request)),
            approve_form=ApproveForm(),
            reject_form=RejectForm(),
            return_form=ReturnForm(),
        )
        return context


class DecisionView(ApproverClaimMixin, ServiceFormView[FormT]):
    """GET: the confirmation (or the form with the reason); POST: the decision through one
    service, then back to the queue. Bad input or a ClaimError (one's own claim, a claim already
    decided) re-renders the page with status 400 and nothing changed."""

    domain_error = ClaimError
    decision: Decision

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.request.method == "POST":
            # The decision was refused: show the claim as it is now, not as it was read before the
            # service locked it (another approver may have decided on it in that moment).
            self.__dict__.pop("_claim", None)
            self.__dict__.pop("_budget", None)
        context = super().get_context_data(**kwargs)
        context["decision"] = self.decision
        return context

    def get_success_url(self) -> str:
        return reverse("expenses:queue")


class ApproveView(DecisionView[ApproveForm]):
    """Approving, with the reason for going over budget when approving takes the claim's programme
    past its budget (the service refuses without it, by the field)."""

    template_name = "expenses/approver/claim_decision.html"
    form_class = ApproveForm
    decision = Decision("approve", "Approve", "Approve the claim", "btn-primary")

    def act(self, form: ApproveForm) -> str:
        over_budget = self.get_budget().goes_over
        claim = services.approve_claim(
            claim=self.get_claim(),
            actor=acting_user(self.request),
            over_budget_reason=form.cleaned_data["over_budget_reason"],
        )
        name = claim.volunteer.display_name
        recorded = " Your reason for going over budget is recorded." if over_budget else ""
        return f"Claim {claim.reference} is approved. We have emailed {name} to let them know.{recorded}"


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


class ClaimOnBehalfView(ApproverMixin, ServiceFormView[ConfirmForm]):
    """Confirm, then open the claim for an attended booking on the volunteer's behalf (recorded as
    such) and go to the claim page to enter the paper claim's items. Why it cannot be opened
    (``permissions.open_claim_refusal``) is said instead of the button."""

    template_name = "expenses/approver/claim_on_behalf.html"
    form_class = ConfirmForm
    domain_error = ClaimError
    claim: Claim

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            bookings = selectors.approver_bookings(selectors.approver_universities(acting_user(self.request)))
            self._booking = get_object_or_404(bookings, pk=self.kwargs["booking_pk"])
        return self._booking

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.get_booking()  # another university's booking is missing before anything is checked
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["booking"] = booking = self.get_booking()
        context["session"] = booking.session
        context["existing"] = existing = selectors.claim_of(booking)
        refusal = permissions.open_claim_refusal(booking, acting_user(self.request), has_claim=existing is not None)
        context.update(can_open=refusal is None, refusal=refusal)
        return context

    def act(self, form: ConfirmForm) -> str:
        self.claim = services.open_claim(booking=self.get_booking(), actor=acting_user(self.request))
        return "The claim is open. Please add each item from the paper claim, then send it."

    def get_success_url(self) -> str:
        return reverse("expenses:claim", kwargs={"pk": self.claim.pk})


# Receipts ------------------------------------------------------------------------------------------


class ReceiptDownloadView(LoginRequiredMixin, View):
    """The receipt file as a download, to those ``receipts_visible_to`` lets have it (else 404)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FileResponse:
        receipt = get_object_or_404(selectors.receipts_visible_to(acting_user(request)), pk=kwargs["pk"])
        if receipt.removed_at is not None:
            raise Http404("The receipt file was removed at the end of the finance retention period.")
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


class ArrangementsMixin(RoleRequiredMixin):
    """A booking's taxi agreement and the costs the university paid itself, for the coordinators
    of its university (else 403; another university's booking: 404). The page shows two forms,
    each posting to its own URL and its own service; a refused one re-renders the page (400)."""

    required_roles = (COORDINATOR,)
    template_name: str | None = "expenses/approver/booking_arrangements.html"
    kwargs: dict[str, Any]

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            universities = organisations_with_role(acting_user(self.request), [COORDINATOR])
            self._booking = get_object_or_404(selectors.approver_bookings(universities), pk=self.kwargs["pk"])
        return self._booking

    def taxi_form(self, data: Any = None, files: Any = None) -> TaxiForm:
        arrangement = selectors.arrangement_of(self.get_booking())
        initial = {"taxi_preapproved": arrangement.taxi_preapproved, "notes": arrangement.notes} if arrangement else {}
        return TaxiForm(data, files, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        booking = self.get_booking()
        prepaid = list(selectors.prepaid_costs(booking))
        context.update(booking=booking, session=booking.session, prepaid=prepaid)
        context["prepaid_total"] = sum((cost.amount for cost in prepaid), Decimal("0.00"))
        context.setdefault("taxi_form", self.taxi_form())
        context.setdefault("cost_form", PrepaidCostForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.get_booking()  # another university's booking is missing before the form is read
        return super().post(request, *args, **kwargs)  # type: ignore[misc]  # over a form view

    def get_success_url(self) -> str:
        return reverse("expenses:arrangements", kwargs={"pk": self.get_booking().pk})


class ArrangementsView(ArrangementsMixin, TemplateView):
    """The page, with both forms."""

    http_method_names = ["get"]


class TaxiArrangementView(ArrangementsMixin, ServiceFormView[TaxiForm]):
    """POST only: whether a taxi is agreed in advance (``services.set_taxi_preapproval``)."""

    http_method_names = ["post"]
    form_class = TaxiForm
    domain_error = ClaimError
    form_context_name = "taxi_form"

    def get_form(self, data: Any = None, files: Any = None) -> TaxiForm:
        return self.taxi_form(data, files)

    def act(self, form: TaxiForm) -> str:
        approved, booking = form.cleaned_data["taxi_preapproved"], self.get_booking()
        services.set_taxi_preapproval(
            booking=booking, actor=acting_user(self.request), approved=approved, notes=form.cleaned_data["notes"]
        )
        name = booking.volunteer.display_name
        return f"{name} can claim a taxi for this session." if approved else f"No taxi is agreed for {name}."


class PrepaidCostAddView(ArrangementsMixin, ServiceFormView[PrepaidCostForm]):
    """POST only: a cost the university paid itself (``services.add_prepaid_cost``)."""

    http_method_names = ["post"]
    form_class = PrepaidCostForm
    domain_error = ClaimError
    form_context_name = "cost_form"

    def act(self, form: PrepaidCostForm) -> str:
        cost = services.add_prepaid_cost(
            booking=self.get_booking(), actor=acting_user(self.request), **form.cleaned_data
        )
        return f"Recorded {cost.description} (£{cost.amount:.2f}), paid by the university."
