"""The volunteer's money pages: sessions to claim for, their claims, a statement per tax year;
and the claim itself (items, the fee, sending it), which staff also use to enter a paper claim.

``/money/`` and the statement need a volunteer profile (403 without). A claim comes from
``claims_visible_to``: the volunteer's own, or one a coordinator or finance officer of the
university may see; anyone else's id is 404. Every change goes through ``expenses.services``;
a ClaimError is shown next to the field it is about (else at the top), with status 400 and
nothing changed.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import User
from accounts.permissions import acting_user, has_role
from expenses import services
from expenses.forms.own import FeeChoiceForm, ItemForm
from expenses.models import Claim, ClaimItem, Payment, PrepaidCost, RateCard
from expenses.permissions import APPROVER_ROLES, claims_visible_to
from expenses.rates import tax_year_bounds
from expenses.receipts import ReceiptError
from expenses.services import ClaimError
from sessions_app.models import Booking
from volunteers.apps import is_volunteer
from volunteers.models import VolunteerProfile
from volunteers.views.own import VolunteerRequiredMixin

FeeChoice = Claim.FeeChoice
NOT_EDITABLE = (
    "This claim has been sent, so it can no longer be changed. "
    "If something needs correcting, please contact the coordinator of the session."
)
STATEMENT_COLUMNS = ["Date paid", "Claim reference", "Session", "Kind", "Amount (£)"]
# Where a ClaimError from add_item belongs on the form: the first phrase found in its message.
ERROR_FIELDS = (
    ("receipt", "receipt"),
    ("mile", "miles"),
    ("taxi", "kind"),
    ("what the expense", "kind"),
    ("vehicle", "vehicle"),
    ("postcode", "from_postcode"),
    ("the date should", "date"),
    ("amount", "amount"),
    ("can be claimed up to", "amount"),
    ("a single item may be", "amount"),
)


def error_field(error: ClaimError) -> str | None:
    """The item form field a ClaimError is about, or None for the top of the form."""
    if isinstance(error.__cause__, ReceiptError):
        return "receipt"
    message = str(error).lower()
    return next((field for phrase, field in ERROR_FIELDS if phrase in message), None)


def money(amount: Decimal) -> str:
    return f"£{amount:.2f}"


# The money page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimable:
    booking: Booking
    deadline: datetime.date
    is_open: bool


def claimable_sessions(profile: VolunteerProfile) -> list[Claimable]:
    """Attended sessions without a claim, each with its claim deadline.

    The rate cards of their universities are read in one query; the one in force for a session
    is the latest that took effect by its day (as ``RateCard.objects.in_force``)."""
    bookings = list(services.volunteers_claimable_bookings(profile))
    if not bookings:
        return []
    universities = {booking.session.module.programme.university_id for booking in bookings}
    cards = list(RateCard.objects.filter(organisation_id__in=universities).order_by("-effective_from"))
    today = timezone.localdate()
    found = []
    for booking in bookings:
        day = timezone.localdate(booking.session.starts_at)
        university_id = booking.session.module.programme.university_id
        card = next((c for c in cards if c.organisation_id == university_id and c.effective_from <= day), None)
        deadline = services.claim_deadline(booking, card)
        found.append(Claimable(booking=booking, deadline=deadline, is_open=today <= deadline))
    return found


def own_claims(profile: VolunteerProfile) -> QuerySet[Claim]:
    """The volunteer's claims, newest session first, each with its total (expenses and fee)."""
    expenses = Coalesce(Sum("items__amount"), Value(Decimal("0.00")), output_field=DecimalField())
    return (
        Claim.objects.filter(volunteer=profile)
        .select_related("booking__session")
        .annotate(total=expenses + F("fee_requested"))
        .order_by("-booking__session__starts_at", "-pk")
    )


class MoneyView(VolunteerRequiredMixin, TemplateView):
    template_name = "expenses/own/money.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["claimable"] = claimable_sessions(self.profile)
        context["claims"] = own_claims(self.profile)
        context["tax_years"] = services.paid_by_tax_year(self.profile)
        return context


@method_decorator(never_cache, name="dispatch")
class StatementDownloadView(VolunteerRequiredMixin, View):
    """What the volunteer was paid in the tax year from 6 April ``year``, as CSV."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year = kwargs["year"]
        if not 2000 <= year <= 9998:
            raise Http404("No such tax year.")
        start, end = tax_year_bounds(datetime.date(year, 4, 6))
        payments = (
            Payment.objects.filter(volunteer=self.profile, paid_on__gte=start, paid_on__lte=end)
            .select_related("claim__booking__session")
            .order_by("paid_on", "key")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payments-{year}-{str(year + 1)[-2:]}.csv"'
        # A byte-order mark, so spreadsheet programs read names such as Siân correctly.
        response.write("\ufeff" + statement_csv(list(payments)))
        return response


def statement_csv(payments: list[Payment]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(STATEMENT_COLUMNS)
    for payment in payments:
        row = (
            f"{payment.paid_on:%d/%m/%Y}",
            payment.claim.reference,
            payment.claim.booking.session.title,
            payment.get_kind_display(),
            f"{payment.amount:.2f}",
        )
        writer.writerow([services.neutralise(str(cell)) for cell in row])
    total = sum((payment.amount for payment in payments), Decimal("0.00"))
    writer.writerow(["Total", "", "", "", f"{total:.2f}"])
    return output.getvalue()


# Starting a claim -----------------------------------------------------------------------------


class ClaimOpenView(VolunteerRequiredMixin, TemplateView):
    template_name = "expenses/own/claim_confirm_open.html"

    def get_booking(self) -> Booking:
        own = Booking.objects.filter(volunteer=self.profile).select_related("session__module__programme__university")
        return get_object_or_404(own, pk=self.kwargs["booking_pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        booking = self.get_booking()
        session = booking.session
        card = RateCard.objects.in_force(session.university, timezone.localdate(session.starts_at))
        context.update(
            booking=booking,
            session=session,
            deadline=services.claim_deadline(booking, card),
            existing=Claim.objects.filter(booking=booking).first(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            claim = services.open_claim(booking=self.get_booking(), actor=self.profile.user)
        except ClaimError as error:
            return self.render_to_response(self.get_context_data(error=str(error)), status=400)
        messages.success(request, "Your claim is started. Add your expenses, choose about the fee, then send it.")
        return redirect("expenses:claim", pk=claim.pk)


# One claim ------------------------------------------------------------------------------------


class ClaimMixin(LoginRequiredMixin):
    """Pages about one claim: a volunteer, or a coordinator or finance officer somewhere (else
    403); then the claim through ``claims_visible_to`` (else 404)."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not (is_volunteer(request.user) or has_role(request.user, APPROVER_ROLES)):
            raise PermissionDenied("These pages are for volunteers and the staff who approve their claims.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def actor(self) -> User:
        return acting_user(self.request)

    def get_claim(self) -> Claim:
        if not hasattr(self, "_claim"):
            visible = claims_visible_to(self.actor).select_related(
                "booking__session__module__programme__university", "volunteer__user", "opened_by"
            )
            self._claim = get_object_or_404(visible, pk=self.kwargs["pk"])
        return self._claim

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]  # mixin over a View
        claim = self.get_claim()
        context.update(
            claim=claim,
            session=claim.booking.session,
            is_claimant=claim.volunteer.user_id == self.actor.pk,
        )
        return context

    def not_editable(self) -> HttpResponse:
        messages.info(self.request, NOT_EDITABLE)
        return redirect("expenses:claim", pk=self.get_claim().pk)

    def back_to_claim(self, message: str, anchor: str = "") -> HttpResponse:
        messages.success(self.request, message)
        response = redirect("expenses:claim", pk=self.get_claim().pk)
        response["Location"] += anchor
        return response

    def rate_card(self) -> RateCard | None:
        session = self.get_claim().booking.session
        return RateCard.objects.in_force(session.university, timezone.localdate(session.starts_at))

    def item_form(self, data: Any = None, files: Any = None) -> ItemForm:
        card = self.rate_card()
        return ItemForm(
            data,
            files,
            session_day=timezone.localdate(self.get_claim().booking.session.starts_at),
            receipt_kinds=list(card.receipts_required_for if card else services.DEFAULT_RECEIPT_KINDS),
        )


class ClaimView(ClaimMixin, TemplateView):
    template_name = "expenses/own/claim_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        claim = self.get_claim()
        context.update(
            items=claim.items.select_related("receipt"),
            prepaid=PrepaidCost.objects.filter(booking=claim.booking_id),
            totals=services.claim_totals(claim),
        )
        if claim.is_editable:
            context.setdefault("fee_form", FeeChoiceForm(initial=FeeChoiceForm.initial_for(claim)))
            context.setdefault("item_form", self.item_form())
        return context


class FeeChoiceView(ClaimView):
    """POST only: the fee choice; a refusal re-renders the claim page (400) with the reason."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        claim, form = self.get_claim(), FeeChoiceForm(request.POST)
        if not claim.is_editable:
            return self.not_editable()
        if not claim.fee_due:
            messages.info(request, "There is no fee for this session, so there is nothing to choose.")
            return redirect("expenses:claim", pk=claim.pk)
        if form.is_valid():
            choice, reduced = form.cleaned_data["choice"], form.cleaned_data["reduced_amount"]
            try:
                claim = services.set_fee_choice(claim=claim, actor=self.actor, choice=choice, reduced_amount=reduced)
            except ClaimError as error:
                form.add_error("reduced_amount" if choice == FeeChoice.REDUCED else "choice", str(error))
            else:
                return self.back_to_claim(fee_message(claim), "#fee")
        return self.render_to_response(self.get_context_data(fee_form=form), status=400)


def fee_message(claim: Claim) -> str:
    fee = money(claim.fee_due)
    return {
        FeeChoice.TAKE: f"Saved: you are taking the fee of {fee}.",
        FeeChoice.REDUCED: f"Saved: you are taking {money(claim.fee_requested)} of the {fee} fee.",
        FeeChoice.DONATE: f"Saved: you are donating the fee of {fee} to your charity.",
        FeeChoice.DECLINE: "Saved: you are not taking a fee for this session.",
    }[FeeChoice(claim.fee_choice)]


class ItemAddView(ClaimMixin, TemplateView):
    template_name = "expenses/own/item_form.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.get_claim().is_editable:
            return self.not_editable()
        return self.render_to_response(self.get_context_data(form=self.item_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.get_claim().is_editable:
            return self.not_editable()
        form = self.item_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                item = services.add_item(claim=self.get_claim(), actor=self.actor, **form.item_fields())
            except ClaimError as error:
                form.add_error(error_field(error), str(error))
            else:
                return self.back_to_claim(item_message(item), "#items")
        return self.render_to_response(self.get_context_data(form=form), status=400)


def item_message(item: ClaimItem) -> str:
    miles = f"{item.miles} miles, " if item.kind == ClaimItem.Kind.MILEAGE else ""
    return f"Added {item.get_kind_display().lower()}: {miles}{money(item.amount)}."


class ItemRemoveView(ClaimMixin, TemplateView):
    template_name = "expenses/own/item_confirm_remove.html"

    def get_item(self) -> ClaimItem:
        return get_object_or_404(ClaimItem.objects.filter(claim=self.get_claim()), pk=self.kwargs["item_pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.get_item()
        if not self.get_claim().is_editable:
            return self.not_editable()
        return self.render_to_response(self.get_context_data(item=item))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.get_item()
        if not self.get_claim().is_editable:
            return self.not_editable()
        try:
            services.remove_item(item=item, actor=self.actor)
        except ClaimError as error:
            return self.render_to_response(self.get_context_data(item=item, error=str(error)), status=400)
        return self.back_to_claim(f"Removed {item.get_kind_display().lower()}: {money(item.amount)}.", "#items")


class SubmitView(ClaimMixin, TemplateView):
    template_name = "expenses/own/claim_confirm_submit.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["totals"] = services.claim_totals(self.get_claim())
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.get_claim().is_editable:
            return self.not_editable()
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.get_claim().is_editable:
            return self.not_editable()
        try:
            claim = services.submit_claim(claim=self.get_claim(), actor=self.actor)
        except ClaimError as error:
            return self.render_to_response(self.get_context_data(error=str(error)), status=400)
        total = money(services.claim_totals(claim)["total"])
        if claim.volunteer.user_id == self.actor.pk:
            sent = f"Thank you. Your claim for {total} has been sent to {claim.booking.session.university}."
            return self.back_to_claim(f"{sent} We will email you when it has been looked at.")
        return self.back_to_claim(f"The claim for {total} has been sent for approval.")
