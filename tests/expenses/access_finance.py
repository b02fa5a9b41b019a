"""Access-table entries for the expenses finance pages (see tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from expenses.models import ReimbursementRun
from tests.access import Access
from tests.conftest import World


def a_completed_run(world: World) -> dict[str, Any]:
    run = ReimbursementRun.objects.create(
        organisation=world.university,
        started_by=world.finance,
        status=ReimbursementRun.Status.COMPLETED,
        finished_at=timezone.now(),
        export_csv="payment_key,payee_reference,amount,description,claim_reference\r\n",
    )
    return {"pk": run.pk}


ACCESS_EXPENSES_FINANCE: list[Access] = [
    Access("expenses:rate_cards", allowed="finance", wrong_role="coordinator"),
    Access("expenses:rate_card_new", allowed="admin", wrong_role="lead"),
    Access("expenses:runs", allowed="finance", wrong_role="admin"),
    # An empty POST names no university: nothing starts, and the runs page says why.
    Access("expenses:run_start", allowed="finance", wrong_role="coordinator", allowed_status=302, method="post"),
    Access("expenses:run", a_completed_run, allowed="finance", wrong_role="admin", other_org="other_finance"),
    Access(
        "expenses:run_export", a_completed_run, allowed="finance", wrong_role="volunteer", other_org="other_finance"
    ),
]
