"""Access-table entries for the expenses finance pages (see tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from expenses.models import Claim, ReimbursementRun
from involvement.periods import academic_year_start
from tests.access import Access
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, attended_booking
from tests.sessions_app.factories import ProgrammeFactory


def a_completed_run(world: World) -> dict[str, Any]:
    run = ReimbursementRun.objects.create(
        organisation=world.university,
        started_by=world.finance,
        status=ReimbursementRun.Status.COMPLETED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    return {"pk": run.pk}


def a_completed_runs_export(world: World) -> dict[str, Any]:
    return {**a_completed_run(world), "route": "accounts_payable"}


def university_a(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug}


def a_claimant_of_university_a(world: World) -> dict[str, Any]:
    """A volunteer with an approved claim at University A and no payee reference there."""
    booking = attended_booking(world.university, world.coordinator, world.volunteer.volunteer_profile)
    claim = ClaimFactory(booking=booking, status=Claim.Status.APPROVED, submitted_at=timezone.now())
    return {"slug": world.university.slug, "volunteer_pk": claim.volunteer_id}


def a_programme_of_university_a(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug, "pk": ProgrammeFactory(university=world.university).pk}


def a_programme_this_year(world: World) -> dict[str, Any]:
    """A programme of University A, and this academic year (whose budget is set)."""
    programme = ProgrammeFactory(university=world.university)
    return {"pk": programme.pk, "year": academic_year_start(timezone.localdate())}


ACCESS_EXPENSES_FINANCE: list[Access] = [
    Access("expenses:rate_cards", allowed="finance", wrong_role="coordinator"),
    Access("expenses:rate_card_new", allowed="admin", wrong_role="lead"),
    Access("expenses:budgets", allowed="finance", wrong_role="coordinator"),
    Access("expenses:budget_set", a_programme_this_year, allowed="admin", wrong_role="lead", other_org="other_finance"),
    Access("expenses:runs", allowed="finance", wrong_role="admin"),
    # An empty POST names no university: nothing is previewed, and the runs page says why.
    Access("expenses:run_preview", allowed="finance", wrong_role="coordinator", allowed_status=302, method="post"),
    # Starting a completed run is refused: nothing starts, and its page says why.
    Access(
        "expenses:run_start",
        a_completed_run,
        allowed="finance",
        wrong_role="coordinator",
        other_org="other_finance",
        allowed_status=302,
        method="post",
    ),
    Access("expenses:run", a_completed_run, allowed="finance", wrong_role="admin", other_org="other_finance"),
    Access(
        "expenses:run_export_csv",
        a_completed_runs_export,
        allowed="finance",
        wrong_role="volunteer",
        other_org="other_finance",
    ),
    Access(
        "expenses:run_export_xlsx",
        a_completed_runs_export,
        allowed="finance",
        wrong_role="admin",
        other_org="other_finance",
    ),
    # How each university pays: payee set-up for finance officers, settings and cost codes for
    # finance officers and admins.
    Access("expenses:finance_setup", allowed="admin", wrong_role="coordinator"),
    Access("expenses:payees", university_a, allowed="finance", wrong_role="admin", other_org="other_finance"),
    Access("expenses:payee_references", university_a, allowed="finance", wrong_role="lead", other_org="other_finance"),
    Access(
        "expenses:payee_reference",
        a_claimant_of_university_a,
        allowed="finance",
        wrong_role="admin",
        other_org="other_finance",
    ),
    Access(
        "expenses:finance_settings", university_a, allowed="admin", wrong_role="coordinator", other_org="other_admin"
    ),
    Access("expenses:cost_codes", university_a, allowed="finance", wrong_role="lead", other_org="other_admin"),
    Access(
        "expenses:cost_code",
        a_programme_of_university_a,
        allowed="admin",
        wrong_role="coordinator",
        other_org="other_finance",
    ),
]
