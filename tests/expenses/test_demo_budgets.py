"""The demo's programme budgets (``manage.py seed_demo``, ``expenses.demo.Seeder.budgets``): every
programme has one this academic year, and the one paying for Rhys's latest claim is close to it,
so approving that claim needs a reason for going over budget."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from expenses import permissions, selectors, services
from expenses.models import Claim, ProgrammeBudget
from expenses.services import ClaimError
from involvement.models import ActivityLog
from involvement.periods import academic_year_label, academic_year_start
from sessions_app.models import Programme


@pytest.fixture
def seeded(db: None, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", verbosity=0)


def rhys_latest() -> Claim:
    return Claim.objects.select_related("booking__session__module__programme__university").get(
        volunteer__user__email="rhys.llewellyn@example.org", status=Claim.Status.SUBMITTED
    )


def test_demo_programmes_each_have_a_budget_this_academic_year(seeded: None) -> None:
    year = academic_year_start(timezone.localdate())
    this_years = Programme.objects.filter(academic_year=academic_year_label(year))

    budgeted = ProgrammeBudget.objects.filter(academic_year=year, programme__in=this_years)

    assert sorted(budgeted.values_list("programme__university__slug", "programme__name")) == sorted(
        this_years.values_list("university__slug", "name")
    )
    assert {budget.amount > 0 for budget in budgeted} == {True}
    # Northbridge's are set by its finance officer, through the service.
    assert set(ActivityLog.objects.filter(action="budget.set").values_list("actor__email", "organisation__slug")) == {
        ("finance@example.org", "northbridge")
    }


def test_demo_programme_paying_rhyss_claim_is_close_to_its_budget(seeded: None) -> None:
    claim = rhys_latest()
    position = selectors.claim_budget_position(claim)
    total = selectors.claim_totals(claim)["total"]
    others = [
        selectors.budget_position(programme, academic_year_start(timezone.localdate()))
        for programme in selectors.budget_programmes(
            list(Programme.objects.values_list("university_id", flat=True).distinct()),
            academic_year_start(timezone.localdate()),
        )
        if programme.pk != position.programme_id
    ]

    assert position.budget is not None
    assert position.budget - total < position.used <= position.budget
    assert permissions.approval_goes_over_budget(position, total)
    assert [permissions.is_over_budget(other) for other in others] == [False] * len(others)


def test_demo_approving_rhyss_claim_needs_a_reason(seeded: None) -> None:
    finance = User.objects.get(email="finance@example.org")

    with pytest.raises(ClaimError) as refused:
        services.approve_claim(claim=rhys_latest(), actor=finance)
    services.approve_claim(claim=rhys_latest(), actor=finance, over_budget_reason="Demo: extra interview days.")

    assert refused.value.field == "over_budget_reason"
    assert ActivityLog.objects.filter(action="claim.approved_over_budget").count() == 1
