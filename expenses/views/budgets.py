"""Programme budgets (finance officers and org admins): the university's programmes running in an
academic year, each with its budget, what was spent (paid) and committed (approved, not yet
paid) and what remains, 50 to a page; and setting one programme's budget for a year.

A user needs finance or admin at a university (else 403); programmes come from the universities
where they hold it, so another university's programme is 404. Who may set a budget is
``permissions.can_set_budget``; the write is ``services.set_budget``, whose ClaimError is shown
by the field it names, with nothing saved.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.models import Membership
from accounts.permissions import acting_user
from expenses import permissions, selectors, services
from expenses.forms.budgets import BudgetForm
from expenses.services import ClaimError
from expenses.views.finance import UniversityRoleMixin
from involvement.forms_views import ServiceFormView
from involvement.periods import academic_year_label, academic_year_start
from sessions_app.models import Programme

FINANCE = Membership.Role.FINANCE
ADMIN = Membership.Role.ADMIN
PAGE_SIZE = 50
# Academic years offered in the chooser: these many before this one, and the years ahead a
# budget may be set for.
YEARS_BACK = 2


def budget_years(today: Any = None) -> list[int]:
    """The academic years (start years) a budget can be set for, earliest first."""
    current = academic_year_start(today or timezone.localdate())
    return list(range(current - YEARS_BACK, current + services.BUDGET_YEARS_AHEAD + 1))


def chosen_year(value: str | None) -> int:
    """The academic year asked for (its start year, among ``budget_years``), else this one."""
    years = budget_years()
    if value and value.isdigit() and int(value) in years:
        return int(value)
    return academic_year_start(timezone.localdate())


class BudgetsMixin(UniversityRoleMixin):
    required_roles = (FINANCE, ADMIN)


class BudgetListView(BudgetsMixin, TemplateView):
    """The programmes running in the chosen academic year (``?year=2026``; this one by default),
    with their budget positions, in one query for the page (and one to count)."""

    template_name = "expenses/finance/budget_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        year = chosen_year(self.request.GET.get("year"))
        programmes = selectors.budget_programmes(self.university_ids(), year)
        page = Paginator(programmes, PAGE_SIZE).get_page(self.request.GET.get("page"))
        actor = acting_user(self.request)
        rows = [
            (
                programme,
                selectors.budget_position(programme, year),
                permissions.can_set_budget(programme.university_id, actor),
            )
            for programme in page.object_list
        ]
        context.update(
            year=year,
            year_label=academic_year_label(year),
            years=[(option, academic_year_label(option)) for option in budget_years()],
            rows=rows,
            page_obj=page,
            several=len(self.universities) > 1,
        )
        return context


class BudgetSetView(BudgetsMixin, ServiceFormView[BudgetForm]):
    """One programme's budget for one academic year: the form with what was spent and committed so
    far. Bad input or a ClaimError re-renders it (400), the error by the field; nothing is saved."""

    template_name = "expenses/finance/budget_form.html"
    form_class = BudgetForm
    domain_error = ClaimError

    def get_programme(self) -> Programme:
        if not hasattr(self, "_programme"):
            if self.kwargs["year"] not in budget_years():
                raise Http404("Budgets can be set for this academic year, the two before and the two after.")
            programmes = selectors.with_budget_position(
                selectors.university_programmes(self.university_ids()), self.kwargs["year"]
            )
            self._programme = get_object_or_404(programmes, pk=self.kwargs["pk"])
        return self._programme

    def get_form_kwargs(self) -> dict[str, Any]:
        budget = selectors.budget_position(self.get_programme(), self.kwargs["year"]).budget
        return {"initial": {} if budget is None else {"amount": budget}}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        programme = self.get_programme()
        year = self.kwargs["year"]
        context = super().get_context_data(**kwargs)
        context.update(
            programme=programme,
            year=year,
            year_label=academic_year_label(year),
            position=selectors.budget_position(programme, year),
            can_set=permissions.can_set_budget(programme.university_id, acting_user(self.request)),
        )
        return context

    def act(self, form: BudgetForm) -> str:
        programme = self.get_programme()
        budget = services.set_budget(
            programme=programme,
            academic_year=self.kwargs["year"],
            amount=form.cleaned_data["amount"],
            actor=acting_user(self.request),
        )
        year = academic_year_label(budget.academic_year)
        return f"The budget of {programme.name} for {year} is £{budget.amount:,.2f}."

    def get_success_url(self) -> str:
        return f"{reverse('expenses:budgets')}?year={self.kwargs['year']}"
