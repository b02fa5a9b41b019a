"""Finance pages: the universities' rate cards (finance officers and org admins) and reimbursement
runs (finance officers): the runs, previewing the next one, starting a preview, its progress and
result, and the exports of each route.

A user needs one of the pages' roles at a university (else 403); every card and run comes through
a queryset of the universities where the role is held (``expenses.selectors``), so another
university's run is 404. Who may set rates or start a run is ``expenses.permissions``. The writes
go through ``expenses.services``; a ClaimError's message is shown as it is, by the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import Membership, Organisation
from accounts.permissions import RoleRequiredMixin, acting_user, has_role, organisations_with_role
from expenses import exports, permissions, selectors, services
from expenses.forms.finance import RateCardForm, RunPreviewForm
from expenses.models import ClaimItem, FeeRate, PayRoute, RateCard, ReimbursementRun
from expenses.services import ClaimError
from involvement import formatting
from involvement.exports import csv_response, xlsx_response
from involvement.forms_views import ServiceFormView
from sessions_app.models import TeachingSession

FINANCE = Membership.Role.FINANCE
ADMIN = Membership.Role.ADMIN
RunStatus = ReimbursementRun.Status
PAGE_SIZE = 50


class UniversityRoleMixin(RoleRequiredMixin):
    """One of ``required_roles`` at a university (else 403). ``self.universities`` are those
    universities, by name; every object of the page comes from them."""

    required_roles: tuple[str, ...] = (FINANCE,)
    kwargs: dict[str, Any]
    universities: list[Organisation]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and has_role(request.user, self.required_roles):
            held = organisations_with_role(acting_user(request), self.required_roles)
            self.universities = list(selectors.universities_among(held))
            if not self.universities:
                raise PermissionDenied("These pages are for the finance teams of universities.")
        return super().dispatch(request, *args, **kwargs)

    def university_ids(self) -> list[int]:
        return [university.pk for university in self.universities]

    def university_queryset(self) -> QuerySet[Organisation]:
        return selectors.universities_among(self.university_ids())

    def rate_setting_universities(self) -> list[Organisation]:
        """The universities whose rates the user may set (``permissions.can_set_rates``)."""
        actor = acting_user(self.request)
        return [university for university in self.universities if permissions.can_set_rates(university, actor)]


# Rate cards ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    kind: str
    rate: FeeRate | None


@dataclass(frozen=True)
class UniversityCards:
    university: Organisation
    cards: list[RateCard]


def describe_cards(cards: list[RateCard], today: Any) -> None:
    """Give each card (newest first within its university) what the page shows: whether it is in
    force, starts later or was replaced, the labels of the kinds needing a receipt, and a line for
    every kind of session (the fee, or none)."""
    in_force_seen: set[int] = set()
    for card in cards:
        if card.effective_from > today:
            card.state = "Starts later"  # type: ignore[attr-defined]  # for the template
        elif card.organisation_id in in_force_seen:
            card.state = "Replaced"  # type: ignore[attr-defined]
        else:
            card.state = "In force"  # type: ignore[attr-defined]
            in_force_seen.add(card.organisation_id)
        card.receipt_labels = [  # type: ignore[attr-defined]
            str(ClaimItem.Kind(code).label) for code in card.receipts_required_for if code in ClaimItem.Kind.values
        ]
        by_kind = {rate.kind: rate for rate in card.fee_rates.all()}
        card.fee_lines = [  # type: ignore[attr-defined]
            FeeLine(str(kind.label), by_kind.get(kind.value)) for kind in TeachingSession.Kind
        ]


class RateCardListView(UniversityRoleMixin, TemplateView):
    """Each university's cards, newest first, in one query for the cards and one for their fees."""

    template_name = "expenses/finance/rate_card_list.html"
    required_roles = (FINANCE, ADMIN)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cards = selectors.rate_cards_of(self.university_ids())
        describe_cards(cards, timezone.localdate())
        context["groups"] = [
            UniversityCards(university, [card for card in cards if card.organisation_id == university.pk])
            for university in self.universities
        ]
        context["can_add"] = bool(self.rate_setting_universities())
        return context


class RateCardCreateView(UniversityRoleMixin, ServiceFormView[RateCardForm]):
    """A new card, starting from the latest one when the user has one university. Bad input or a
    ClaimError re-renders the form with status 400, the error by its field; nothing is saved."""

    template_name = "expenses/finance/rate_card_form.html"
    required_roles = (FINANCE, ADMIN)
    form_class = RateCardForm
    domain_error = ClaimError

    def get_form_kwargs(self) -> dict[str, Any]:
        universities = self.rate_setting_universities()
        latest = None
        if self.request.method == "GET" and len(universities) == 1:
            latest = selectors.latest_rate_card(universities[0])
        return {
            "initial": RateCardForm.initial_from(latest),
            "universities": selectors.universities_among(university.pk for university in universities),
        }

    def act(self, form: RateCardForm) -> str:
        organisation = form.cleaned_data["organisation"]
        card = services.save_rate_card(
            organisation=organisation, actor=acting_user(self.request), fees=form.fees(), **form.card_fields()
        )
        starts = formatting.day(card.effective_from)
        return f"The new rates of {organisation} are saved. They apply to sessions from {starts}."

    def get_success_url(self) -> str:
        return reverse("expenses:rate_cards")


# Reimbursement runs --------------------------------------------------------------------------------


class CountedPaginator(Paginator):
    """A paginator given the number of rows, counted already (with the page's totals by route),
    so it does not count them again."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def route_count(totals: list[selectors.RouteTotal]) -> int:
    return sum(row.count for row in totals)


class RunsMixin(UniversityRoleMixin):
    def runs(self) -> QuerySet[ReimbursementRun]:
        return selectors.runs_of(self.university_ids())


class RunListView(RunsMixin, TemplateView):
    """The runs of the user's universities (not the previews), newest first, 50 to a page, and what
    is waiting at each university: with the button to preview the next run where
    ``permissions.can_preview_run``, else why not."""

    template_name = "expenses/finance/run_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        started = selectors.started_runs_of(self.university_ids()).order_by(
            F("started_at").desc(nulls_last=True), "-pk"
        )
        page = Paginator(started, PAGE_SIZE).get_page(self.request.GET.get("page"))
        actor = acting_user(self.request)
        going = selectors.runs_in_progress(self.university_ids())
        waiting = [
            (
                row,
                permissions.preview_run_refusal(
                    row.university, actor, waiting=row.claims, ready=row.ready, in_progress=row.university.pk in going
                ),
            )
            for row in selectors.waiting_by_university(self.universities)
        ]
        context.update(
            page_obj=page,
            runs=list(page.object_list),
            waiting=waiting,
            several=len(self.universities) > 1,
        )
        return context


class RunPreviewView(UniversityRoleMixin, View):
    """Preview the next run of one university (nothing is paid yet), then show the preview; a
    refusal (nothing ready to pay, a run going) comes back as a message on the runs page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RunPreviewForm(request.POST, universities=self.university_queryset())
        if not form.is_valid():
            messages.error(request, " ".join(str(message) for message in form.errors["organisation"]))
            return redirect("expenses:runs")
        try:
            run = services.preview_run(organisation=form.cleaned_data["organisation"], actor=acting_user(request))
        except ClaimError as error:
            messages.error(request, str(error))
            return redirect("expenses:runs")
        messages.success(request, "Here is what the run will pay. Nothing has been paid yet.")
        return redirect("expenses:run", pk=run.pk)


class RunStartView(RunsMixin, View):
    """Start a previewed run: it pays exactly its preview. A refusal (started already, stale, a run
    going) comes back as a message on the run's page, and nothing is paid twice."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        run = get_object_or_404(self.runs(), pk=kwargs["pk"])
        try:
            services.start_run(run=run, actor=acting_user(request))
        except ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The payment run has started. This page shows how it is going.")
        return redirect("expenses:run", pk=run.pk)


class RunDetailView(RunsMixin, TemplateView):
    """A run's page. A preview: what the run will pay, by route, each payment line (50 to a page),
    what is held back and why, and the button to start it where ``permissions.can_start_run``,
    else why not. Queued or running: its progress, which asks for itself again every 3 seconds
    through htmx (an htmx request gets that part alone; without JavaScript there is a Refresh
    link). Completed: what was paid by route, with totals from the database and the exports of
    each route, and every payment (50 to a page)."""

    template_name = "expenses/finance/run_detail.html"
    partial_template_name = "expenses/finance/includes/_run_progress.html"

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") == "true":
            return [self.partial_template_name]
        return [self.template_name]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = get_object_or_404(self.runs(), pk=self.kwargs["pk"])
        number = self.request.GET.get("page")
        context.update(run=run, in_progress=run.status in {RunStatus.QUEUED, RunStatus.RUNNING})
        if run.status == RunStatus.PREVIEW:
            in_progress, started = selectors.run_state(run.organisation_id)
            refusal = permissions.start_run_refusal(
                run, acting_user(self.request), in_progress=in_progress, started=started
            )
            totals = selectors.run_line_totals(run)
            page = CountedPaginator(selectors.run_lines(run), PAGE_SIZE, count=route_count(totals)).get_page(number)
            context.update(
                totals=totals,
                page_obj=page,
                lines=list(page.object_list),
                held_back=selectors.held_back(run),
                refusal=refusal,
                stale=refusal in {permissions.STALE_PREVIEW, permissions.PREVIEW_CHANGED},
            )
        elif run.status == RunStatus.COMPLETED:
            totals = selectors.run_payment_totals(run)
            paid = CountedPaginator(selectors.run_payment_rows(run), PAGE_SIZE, count=route_count(totals)).get_page(
                number
            )
            context.update(totals=totals, page_obj=paid, payments=list(paid.object_list))
        totals = context.get("totals", [])
        context.update(
            total=sum((row.total for row in totals), Decimal("0.00")), count=sum(row.count for row in totals)
        )
        return context


@method_decorator(never_cache, name="dispatch")
class RunExportView(RunsMixin, View):
    """A completed run's export of one route (``payroll`` or ``accounts_payable``), as CSV or XLSX
    (``extension``), built from its payments. A run not completed, or another route: 404."""

    extension = "csv"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        run = get_object_or_404(self.runs(), pk=kwargs["pk"])
        route = kwargs["route"]
        if run.status != RunStatus.COMPLETED or route not in PayRoute.values:
            raise Http404("The exports are written when the run has finished, one for each route.")
        name = exports.filename(run, route, self.extension)
        if self.extension == "xlsx":
            return xlsx_response(exports.export_xlsx(run, route), filename=name)
        return csv_response(exports.export_csv(run, route), filename=name)
