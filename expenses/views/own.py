"""The volunteer's money pages: sessions to claim for, their claims, a statement per tax year;
the claim page, and the claim form in short steps (your journey, other costs, your fee when there
is one, check and send), which staff also use to enter a paper claim.

``/money/`` and the statement need a volunteer profile (403 without). A claim comes from
``selectors.claims_visible_to``: the volunteer's own, or one a coordinator or finance officer of
the university may see; anyone else's id is 404. Whether it may be changed or sent is
``permissions.can_edit_claim`` and ``can_submit``. Every change goes through
``expenses.services``; a ClaimError is shown next to the field it names (``ClaimError.field``,
else at the top), with status 400 and nothing changed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import User
from accounts.permissions import acting_user, has_role
from expenses import permissions, selectors, services
from expenses.forms.approver import ConfirmForm
from expenses.forms.own import CostForm, FeeChoiceForm, JourneyForm
from expenses.models import Claim, ClaimItem, Payment
from expenses.rates import claim_deadline, receipt_kinds, tax_year_bounds
from expenses.services import ClaimError
from involvement.exports import csv_response, write_csv
from involvement.formatting import money
from involvement.forms_views import ServiceFormView
from involvement.pdf import pdf_response, render_pdf
from sessions_app.clock import LONDON
from sessions_app.models import Booking
from volunteers.apps import is_volunteer
from volunteers.views.own import VolunteerRequiredMixin

FeeChoice = Claim.FeeChoice
NOT_EDITABLE = (
    "This claim has been sent, so it can no longer be changed. "
    "If something needs correcting, please contact the coordinator of the session."
)
STATEMENT_COLUMNS = ["Date paid", "Claim reference", "Session", "Kind", "Amount (£)"]


# The money page -------------------------------------------------------------------------------


CLAIMS_PAGE_SIZE = 25


class MoneyView(VolunteerRequiredMixin, TemplateView):
    template_name = "expenses/own/money.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.profile.user
        # Each session with whether its claim can still be started (the claim window).
        context["claimable"] = [
            (item, permissions.can_open_claim(item.booking, user, has_claim=False, deadline=item.deadline))
            for item in selectors.claimable_sessions(self.profile)
        ]
        # 25 to a page: a long-standing volunteer has claimed for every session for years.
        page = Paginator(selectors.own_claims(self.profile), CLAIMS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(claims=list(page.object_list), page_obj=page)
        context["tax_years"] = selectors.paid_by_tax_year(self.profile)
        return context


@method_decorator(never_cache, name="dispatch")
class StatementDownloadView(VolunteerRequiredMixin, View):
    """What the volunteer was paid in the tax year from 6 April ``year``, as CSV."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year = kwargs["year"]
        if not 2000 <= year <= 9998:
            raise Http404("No such tax year.")
        start, end = tax_year_bounds(datetime.date(year, 4, 6))
        payments = list(selectors.statement_payments(self.profile, start, end))
        return csv_response(statement_csv(payments), filename=f"payments-{year}-{str(year + 1)[-2:]}.csv")


@method_decorator(never_cache, name="dispatch")
class StatementPdfView(VolunteerRequiredMixin, View):
    """What the volunteer was paid in the tax year from 6 April ``year``, as a printable PDF that
    names the volunteer and each university that paid them."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year = kwargs["year"]
        if not 2000 <= year <= 9998:
            raise Http404("No such tax year.")
        start, end = tax_year_bounds(datetime.date(year, 4, 6))
        payments = list(selectors.statement_payments(self.profile, start, end))
        payers = statement_payers(payments)
        context = {
            "volunteer_name": self.profile.user.name.strip() or self.profile.display_name,
            "label": f"{year}/{str(year + 1)[-2:]}",
            "start": start,
            "end": end,
            "payments": payments,
            "payers": payers,
            "payer_names": "; ".join(payer["name"] for payer in payers),
            "total": sum((payment.amount for payment in payments), Decimal("0.00")),
            "issued_on": timezone.localdate(),
        }
        content = render_pdf("expenses/own/statement_pdf.html", context)
        return pdf_response(content, filename=f"payments-{year}-{str(year + 1)[-2:]}.pdf")


def statement_payers(payments: list[Payment]) -> list[dict[str, Any]]:
    """Each university that paid the volunteer, by name, with its fees, expenses and total (from
    the payments already read for the statement)."""
    payers: dict[int, dict[str, Any]] = {}
    for payment in payments:
        university = payment.claim.booking.session.module.programme.university
        payer = payers.setdefault(
            university.pk, {"name": university.name, "fees": Decimal("0.00"), "expenses": Decimal("0.00")}
        )
        payer["fees" if payment.kind == Payment.Kind.FEE else "expenses"] += payment.amount
    rows = sorted(payers.values(), key=lambda payer: payer["name"])
    return [{**payer, "total": payer["fees"] + payer["expenses"]} for payer in rows]


def statement_csv(payments: list[Payment]) -> str:
    """One row per payment, then the total."""
    rows: list[tuple[str, ...]] = [
        (
            f"{payment.paid_on:%d/%m/%Y}",
            payment.claim.reference,
            payment.claim.booking.session.title,
            payment.get_kind_display(),
            f"{payment.amount:.2f}",
        )
        for payment in payments
    ]
    total = sum((payment.amount for payment in payments), Decimal("0.00"))
    rows.append(("Total", "", "", "", f"{total:.2f}"))
    return write_csv(STATEMENT_COLUMNS, rows)


# Starting a claim -----------------------------------------------------------------------------


class ClaimOpenView(VolunteerRequiredMixin, ServiceFormView[ConfirmForm]):
    """GET: what starting a claim means, or why it cannot be started; POST: start it
    (``services.open_claim``), then go to the claim."""

    template_name = "expenses/own/claim_confirm_open.html"
    form_class = ConfirmForm
    domain_error = ClaimError
    claim: Claim

    def get_booking(self) -> Booking:
        if not hasattr(self, "_booking"):
            self._booking = get_object_or_404(selectors.own_bookings(self.profile), pk=self.kwargs["booking_pk"])
        return self._booking

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        booking = self.get_booking()
        existing = selectors.claim_of(booking)
        deadline = claim_deadline(booking, selectors.rate_card_for_session(booking.session))
        refusal = permissions.open_claim_refusal(
            booking, self.profile.user, has_claim=existing is not None, deadline=deadline
        )
        context.update(
            booking=booking,
            session=booking.session,
            deadline=deadline,
            existing=existing,
            can_open=refusal is None,
            refusal=refusal,
        )
        return context

    def act(self, form: ConfirmForm) -> str:
        self.claim = services.open_claim(booking=self.get_booking(), actor=self.profile.user)
        return "Your claim is started. Nothing is sent until the last step."

    def get_success_url(self) -> str:
        return reverse(f"expenses:{JOURNEY.url_name}", kwargs={"pk": self.claim.pk})


# One claim ------------------------------------------------------------------------------------


class ClaimPageMixin(LoginRequiredMixin):
    """The pages about one claim, shared by its volunteer and by staff entering a paper claim: a
    volunteer, or a coordinator or finance officer somewhere (else 403); then the claim through
    ``selectors.claims_visible_to`` (else 404)."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not (is_volunteer(request.user) or has_role(request.user, selectors.APPROVER_ROLES)):
            raise PermissionDenied("These pages are for volunteers and the staff who approve their claims.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def actor(self) -> User:
        return acting_user(self.request)

    def get_claim(self) -> Claim:
        if not hasattr(self, "_claim"):
            visible = selectors.with_days_to_payment(
                selectors.with_claim_page_joins(selectors.claims_visible_to(self.actor)),
                timezone.localdate(timezone.now(), LONDON),
            )
            self._claim = get_object_or_404(visible, pk=self.kwargs["pk"])
        return self._claim

    def get_items(self) -> list[ClaimItem]:
        if not hasattr(self, "_items"):
            self._items = list(selectors.claim_items(self.get_claim()))
        return self._items

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        claim = self.get_claim()
        context.update(
            claim=claim,
            session=claim.booking.session,
            is_claimant=permissions.is_claimant(claim, self.actor),
            can_edit=permissions.can_edit_claim(claim, self.actor),
        )
        return context

    def claim_url(self, anchor: str = "") -> str:
        return reverse("expenses:claim", kwargs={"pk": self.get_claim().pk}) + anchor

    def step_url(self, step: Step, anchor: str = "") -> str:
        return reverse(f"expenses:{step.url_name}", kwargs={"pk": self.get_claim().pk}) + anchor


class ClaimChangeMixin(ClaimPageMixin):
    """A page that changes the claim: while ``permissions.edit_claim_refusal`` says no (the claim
    was sent, or is someone else's to change, or its session is no longer recorded as attended),
    GET and POST go back to the claim page with the reason, changing nothing."""

    def refuse_changes(self) -> HttpResponse | None:
        claim = self.get_claim()
        refusal = permissions.edit_claim_refusal(claim, self.actor)
        if refusal is None:
            return None
        messages.info(self.request, NOT_EDITABLE if permissions.status_refusal(claim) else refusal)
        return redirect(self.claim_url())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse_changes() or super().get(request, *args, **kwargs)  # type: ignore[misc]  # over a View

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse_changes() or super().post(request, *args, **kwargs)  # type: ignore[misc]  # over a form view


# The claim form, in steps -----------------------------------------------------------------------
#
# Each step is a short form of its own that saves as it goes (an item through
# ``services.add_item``, the fee through ``services.set_fee_choice``), so the draft claim holds
# everything entered so far: a volunteer who leaves half-way, or whose upload fails, loses nothing,
# and the claim page offers to carry on where they left off.


@dataclass(frozen=True)
class Step:
    url_name: str
    title: str


JOURNEY = Step("claim_journey", "Your journey")
COSTS = Step("claim_costs", "Other costs")
FEE = Step("fee_choice", "Your fee")
CHECK = Step("submit", "Check and send")


def claim_steps(claim: Claim) -> list[Step]:
    """The claim form's steps in order; the fee's only when the session has a fee."""
    return [JOURNEY, COSTS, *([FEE] if claim.fee_due else []), CHECK]


def resume_step(claim: Claim, items: list[ClaimItem]) -> Step:
    """Where a half-finished claim carries on: a claim sent back for a change, at the check (with
    the change links); else the step after the last one that has something saved in it (a journey,
    another cost); a claim with nothing in it yet, at the start."""
    steps = claim_steps(claim)
    if claim.status == Claim.Status.RETURNED:
        return CHECK
    if any(item.kind != ClaimItem.Kind.MILEAGE for item in items):
        return steps[steps.index(COSTS) + 1]
    if items:
        return COSTS
    return JOURNEY


def item_step(item: ClaimItem) -> Step:
    """The step where an item is added and removed."""
    return JOURNEY if item.kind == ClaimItem.Kind.MILEAGE else COSTS


class ClaimStepMixin(ClaimChangeMixin):
    """One step of the claim form: where it is among the steps ("Step 2 of 3"), the way back to
    the one before (the claim page, from the first) and on to the next."""

    step: ClassVar[Step]

    def steps(self) -> list[Step]:
        return claim_steps(self.get_claim())

    def next_url(self) -> str:
        steps = self.steps()
        return self.step_url(steps[steps.index(self.step) + 1])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        steps = self.steps()
        index = steps.index(self.step)
        context.update(
            step=self.step,
            steps=[
                {"number": number, "title": step.title, "url": self.step_url(step), "current": step == self.step}
                for number, step in enumerate(steps, start=1)
            ],
            step_number=index + 1,
            step_count=len(steps),
            back_url=self.step_url(steps[index - 1]) if index else self.claim_url(),
            back_title=steps[index - 1].title.lower() if index else "the claim",
            next_step=steps[index + 1] if index + 1 < len(steps) else None,
        )
        return context


ItemFormT = TypeVar("ItemFormT", JourneyForm, CostForm)


class ItemStepMixin(ClaimStepMixin, Generic[ItemFormT]):
    """A step that adds items: "Save and continue" (``then=next``) adds what was typed and goes on
    to the next step, or just goes on when nothing was typed; "Save and add another" adds it and
    shows the step again. The items already added are listed, each with a way to remove it."""

    request: HttpRequest

    def going_on(self) -> bool:
        return self.request.POST.get("then") == "next"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.refuse_changes()
        if refused is not None:
            return refused
        form: ItemFormT = self.get_form(request.POST, request.FILES)  # type: ignore[attr-defined]  # the form view's
        if self.going_on() and form.left_empty():
            return redirect(self.next_url())
        return super().post(request, *args, **kwargs)

    def step_items(self) -> list[ClaimItem]:
        return [item for item in self.get_items() if item_step(item) == self.step]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["items"] = self.step_items()
        return context

    def session_day(self) -> datetime.date:
        return timezone.localdate(self.get_claim().booking.session.starts_at)

    def act(self, form: ItemFormT) -> str:
        item = services.add_item(claim=self.get_claim(), actor=self.actor, **form.item_fields())
        return item_message(item)

    def get_success_url(self) -> str:
        return self.next_url() if self.going_on() else self.step_url(self.step, "#items")


class JourneyStepView(ItemStepMixin[JourneyForm], ServiceFormView[JourneyForm]):
    """Step 1, "Your journey": journeys by car, motorcycle or bicycle (mileage items)."""

    step = JOURNEY
    template_name = "expenses/own/claim_step_journey.html"
    form_class = JourneyForm
    domain_error = ClaimError

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"session_day": self.session_day()}


class CostsStepView(ItemStepMixin[CostForm], ServiceFormView[CostForm]):
    """Step 2, "Other costs": every cost that is not mileage, with its receipt."""

    step = COSTS
    template_name = "expenses/own/claim_step_costs.html"
    form_class = CostForm
    domain_error = ClaimError

    def get_form_kwargs(self) -> dict[str, Any]:
        session = self.get_claim().booking.session
        return {
            "session_day": self.session_day(),
            "receipt_kinds": receipt_kinds(selectors.rate_card_for_session(session)),
        }


def item_message(item: ClaimItem) -> str:
    miles = f"{item.miles} miles, " if item.kind == ClaimItem.Kind.MILEAGE else ""
    return f"Added {item.get_kind_display().lower()}: {miles}{money(item.amount)}."


class FeeChoiceView(ClaimStepMixin, ServiceFormView[FeeChoiceForm]):
    """The step "Your fee" (only when the session has a fee): take it, a reduced amount, donate
    it or decline it (``services.set_fee_choice``), then on to the check."""

    step = FEE
    template_name = "expenses/own/claim_step_fee.html"
    form_class = FeeChoiceForm
    domain_error = ClaimError

    def refuse_changes(self) -> HttpResponse | None:
        refused = super().refuse_changes()
        if refused is None and not self.get_claim().fee_due:
            messages.info(self.request, "There is no fee for this session, so there is nothing to choose.")
            return redirect(self.step_url(CHECK))
        return refused

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": FeeChoiceForm.initial_for(self.get_claim())}

    def act(self, form: FeeChoiceForm) -> str:
        claim = services.set_fee_choice(
            claim=self.get_claim(),
            actor=self.actor,
            choice=form.cleaned_data["choice"],
            reduced_amount=form.cleaned_data["reduced_amount"],
        )
        return fee_message(claim)

    def get_success_url(self) -> str:
        return self.next_url()


def fee_message(claim: Claim) -> str:
    fee = money(claim.fee_due)
    return {
        FeeChoice.TAKE: f"Saved: you are taking the fee of {fee}.",
        FeeChoice.REDUCED: f"Saved: you are taking {money(claim.fee_requested)} of the {fee} fee.",
        FeeChoice.DONATE: f"Saved: you are donating the fee of {fee} to your charity.",
        FeeChoice.DECLINE: "Saved: you are not taking a fee for this session.",
    }[FeeChoice(claim.fee_choice)]


class SubmitView(ClaimStepMixin, ServiceFormView[ConfirmForm]):
    """The last step, "Check and send": everything on the claim with a link to change each part,
    the total, what happens next; POST sends it (``services.submit_claim``)."""

    step = CHECK
    template_name = "expenses/own/claim_step_check.html"
    form_class = ConfirmForm
    domain_error = ClaimError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim = self.get_claim()
        items = self.get_items()
        totals = selectors.claim_totals(claim)
        context.update(
            journeys=[item for item in items if item_step(item) == JOURNEY],
            costs=[item for item in items if item_step(item) == COSTS],
            prepaid=selectors.prepaid_costs(claim.booking_id),
            totals=totals,
            submit_refusal=permissions.submit_refusal(claim, self.actor, total=totals["total"]),
            journey_url=self.step_url(JOURNEY),
            costs_url=self.step_url(COSTS),
            fee_url=self.step_url(FEE) if claim.fee_due else None,
        )
        return context

    def act(self, form: ConfirmForm) -> str:
        claim = services.submit_claim(claim=self.get_claim(), actor=self.actor)
        total = money(selectors.claim_totals(claim)["total"])
        if permissions.is_claimant(claim, self.actor):
            sent = f"Thank you. Your claim for {total} has been sent to {claim.booking.session.university}."
            return f"{sent} We will email you when it has been looked at."
        return f"The claim for {total} has been sent for approval."

    def get_success_url(self) -> str:
        return self.claim_url()


# The claim page and removing an item ------------------------------------------------------------


class ClaimView(ClaimPageMixin, TemplateView):
    """The claim page, for its volunteer or for staff (a paper claim, or one they approve): its
    items, the costs the university paid, the fee and the totals; while
    ``permissions.can_edit_claim``, the way on to the claim form where it was left
    (``resume_step``); when the session is no longer recorded as attended, why not."""

    template_name = "expenses/own/claim_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim = self.get_claim()
        items = self.get_items()
        context.update(
            items=items,
            prepaid=selectors.prepaid_costs(claim.booking_id),
            totals=selectors.claim_totals(claim),
            # Said on a claim still open only: a sent or decided one says where it is instead.
            attendance_refusal=None if permissions.status_refusal(claim) else permissions.attendance_refusal(claim),
        )
        if context["can_edit"]:
            step = resume_step(claim, items)
            context.update(resume_url=self.step_url(step), resume_step=step, started=bool(items))
        return context


class ItemRemoveView(ClaimChangeMixin, ServiceFormView[ConfirmForm]):
    """Asks, then removes the item (``services.remove_item``); back to the step it was added on."""

    template_name = "expenses/own/item_confirm_remove.html"
    form_class = ConfirmForm
    domain_error = ClaimError

    def get_item(self) -> ClaimItem:
        if not hasattr(self, "_item"):
            self._item = get_object_or_404(selectors.claim_items(self.get_claim()), pk=self.kwargs["item_pk"])
        return self._item

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.get_item()  # another claim's item is missing, whatever the claim's state
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.get_item()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["item"] = self.get_item()
        context["back_url"] = self.get_success_url()
        return context

    def act(self, form: ConfirmForm) -> str:
        item = self.get_item()
        services.remove_item(item=item, actor=self.actor)
        return f"Removed {item.get_kind_display().lower()}: {money(item.amount)}."

    def get_success_url(self) -> str:
        return self.step_url(item_step(self.get_item()), "#items")


class FeesAndBenefitsView(TemplateView):
    """How an involvement fee can affect benefits, in plain words (public: linked from invitations)."""

    template_name = "expenses/own/fees_and_benefits.html"
