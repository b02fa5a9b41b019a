"""How each university pays, set up by its finance team: the finance set-up page (a card per
university), payee set-up (who waits for a payee reference, recording or changing one, the
references recorded), the finance settings (routes, payee form, target days) and the cost codes
of its programmes.

Every page but the first names its university in the address (``/finance/<slug>/...``). A user
needs the page's roles at some university (else 403); the university, and every volunteer and
programme, comes through querysets of the universities where they hold them
(``expenses.selectors``), so another university's page, volunteer or programme is 404. The
writes go through ``expenses.services``; a ClaimError is shown by the field it names, with
nothing changed. Bank details are never asked for here, and the pages say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Membership, Organisation
from accounts.permissions import acting_user
from expenses import permissions, selectors, services
from expenses.forms.finance import CostCodesForm, FinanceSettingsForm, PayeeReferenceForm
from expenses.models import FinanceSettings, PayeeReference
from expenses.services import ClaimError
from expenses.views.finance import UniversityRoleMixin
from involvement.forms_views import ServiceFormView
from sessions_app.models import Programme
from volunteers.models import VolunteerProfile

FINANCE = Membership.Role.FINANCE
ADMIN = Membership.Role.ADMIN
PAGE_SIZE = 50


class UniversityPageMixin(UniversityRoleMixin):
    """The university named by ``slug`` among the user's (else 404), as ``self.university``."""

    def get_university(self) -> Organisation:
        if not hasattr(self, "_university"):
            self._university = get_object_or_404(self.university_queryset(), slug=self.kwargs["slug"])
        return self._university

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]  # the view's, after this mixin
        context["university"] = self.get_university()
        return context


# The finance set-up page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UniversityFinance:
    """One university's card on the finance set-up page."""

    university: Organisation
    settings: FinanceSettings
    waiting_for_payee: int
    programmes_without_codes: int
    does_finance: bool


class FinanceSetupView(UniversityRoleMixin, TemplateView):
    """A card per university of the user: how it pays, how many volunteers wait for payee set-up
    (for finance officers), how many programmes have no cost codes, with links to each page.
    Four queries for any number of universities."""

    template_name = "expenses/finance/finance_setup.html"
    required_roles = (FINANCE, ADMIN)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        ids = self.university_ids()
        settings = selectors.finance_settings_of_many(ids)
        waiting = selectors.payee_setup_counts(ids)
        uncoded = selectors.programmes_without_codes(ids)
        actor = acting_user(self.request)
        context["cards"] = [
            UniversityFinance(
                university=university,
                settings=settings[university.pk],
                waiting_for_payee=waiting.get(university.pk, 0),
                programmes_without_codes=uncoded.get(university.pk, 0),
                does_finance=permissions.can_record_payee_reference(university, actor),
            )
            for university in self.universities
        ]
        return context


# Payee set-up --------------------------------------------------------------------------------------


class PayeeSetupView(UniversityPageMixin, TemplateView):
    """Volunteers with a claim sent or approved at the university and no payee reference there,
    oldest claim first, 50 to a page, each with whether they were sent the payee form: the same
    number of queries for one or many."""

    template_name = "expenses/finance/payee_setup.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        university = self.get_university()
        page = Paginator(selectors.awaiting_payee_setup(university), PAGE_SIZE).get_page(self.request.GET.get("page"))
        volunteers = list(page.object_list)
        asked = selectors.payee_forms_asked(university, volunteers)
        context.update(
            page_obj=page,
            rows=[(volunteer, asked.get(volunteer.pk)) for volunteer in volunteers],
            settings=selectors.finance_settings_of(university),
            recorded=selectors.payee_references_of(university).count(),
        )
        return context


class PayeeReferenceListView(UniversityPageMixin, TemplateView):
    """The payee references recorded at the university, by volunteer name, 50 to a page."""

    template_name = "expenses/finance/payee_reference_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        references = selectors.payee_references_of(self.get_university())
        page = Paginator(references, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, references=list(page.object_list))
        return context


class PayeeReferenceView(UniversityPageMixin, ServiceFormView[PayeeReferenceForm]):
    """Record or change one volunteer's payee reference at the university, beside their claims
    waiting there. A volunteer with no claim or reference at the university (another
    university's, say) is 404."""

    template_name = "expenses/finance/payee_reference_form.html"
    form_class = PayeeReferenceForm
    domain_error = ClaimError

    def get_volunteer(self) -> VolunteerProfile:
        if not hasattr(self, "_volunteer"):
            volunteers = selectors.payee_volunteers(self.get_university())
            self._volunteer = get_object_or_404(volunteers, pk=self.kwargs["volunteer_pk"])
        return self._volunteer

    def current(self) -> PayeeReference | None:
        return selectors.payee_reference_of(self.get_university(), self.get_volunteer())

    def get_form_kwargs(self) -> dict[str, Any]:
        current = self.current()
        return {"initial": {"reference": current.reference} if current else {}}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            volunteer=self.get_volunteer(),
            current=self.current(),
            claims=list(selectors.waiting_claims_of(self.get_university(), self.get_volunteer())),
        )
        return context

    def act(self, form: PayeeReferenceForm) -> str:
        volunteer = self.get_volunteer()
        entry = services.record_payee_reference(
            organisation=self.get_university(),
            volunteer=volunteer,
            reference=form.cleaned_data["reference"],
            actor=acting_user(self.request),
        )
        return (
            f"{volunteer.user.name}’s payee reference at {self.get_university()} is {entry.reference}. "
            "Their approved claims will be in the next payment run."
        )

    def get_success_url(self) -> str:
        return reverse("expenses:payees", kwargs={"slug": self.get_university().slug})


# Finance settings ----------------------------------------------------------------------------------


class FinanceSettingsView(UniversityPageMixin, ServiceFormView[FinanceSettingsForm]):
    """How the university pays: the route of fees and of expenses, the payee form's address and
    the days to pay a claim. While a run is in progress the page says the routes cannot change."""

    template_name = "expenses/finance/finance_settings_form.html"
    required_roles = (FINANCE, ADMIN)
    form_class = FinanceSettingsForm
    domain_error = ClaimError

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": FinanceSettingsForm.initial_from(selectors.finance_settings_of(self.get_university()))}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["route_refusal"] = permissions.route_change_refusal(self.get_university())
        return context

    def act(self, form: FinanceSettingsForm) -> str:
        services.update_finance_settings(
            organisation=self.get_university(), actor=acting_user(self.request), **form.cleaned_data
        )
        return f"The finance settings of {self.get_university()} are saved."

    def get_success_url(self) -> str:
        return reverse("expenses:finance_setup")


# Cost codes ----------------------------------------------------------------------------------------


class CostCodeListView(UniversityPageMixin, TemplateView):
    """The university's programmes, newest academic year first, with their cost centre and nominal
    code, 50 to a page (one query for the page, one to count)."""

    template_name = "expenses/finance/cost_code_list.html"
    required_roles = (FINANCE, ADMIN)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        programmes = selectors.programmes_of(self.get_university())
        page = Paginator(programmes, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, programmes=list(page.object_list))
        return context


class CostCodeView(UniversityPageMixin, ServiceFormView[CostCodesForm]):
    """Set one programme's cost centre and nominal code; another university's programme is 404."""

    template_name = "expenses/finance/cost_code_form.html"
    required_roles = (FINANCE, ADMIN)
    form_class = CostCodesForm
    domain_error = ClaimError

    def get_programme(self) -> Programme:
        if not hasattr(self, "_programme"):
            self._programme = get_object_or_404(selectors.programmes_of(self.get_university()), pk=self.kwargs["pk"])
        return self._programme

    def get_form_kwargs(self) -> dict[str, Any]:
        programme = self.get_programme()
        return {"initial": {"cost_centre": programme.cost_centre, "nominal_code": programme.nominal_code}}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["programme"] = self.get_programme()
        return context

    def act(self, form: CostCodesForm) -> str:
        programme = services.set_cost_codes(
            programme=self.get_programme(), actor=acting_user(self.request), **form.cleaned_data
        )
        codes = ", ".join(
            part
            for part in (
                f"cost centre {programme.cost_centre}" if programme.cost_centre else "",
                f"nominal code {programme.nominal_code}" if programme.nominal_code else "",
            )
            if part
        )
        return f"{programme} is saved{': ' + codes if codes else ' without cost codes'}."

    def get_success_url(self) -> str:
        return reverse("expenses:cost_codes", kwargs={"slug": self.get_university().slug})
