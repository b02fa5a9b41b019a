"""Access-table entries for the expenses approver pages (see tests/test_access.py).

Coordinators and finance officers of University A get the claims pages; a lead is refused (403);
University B's coordinator or finance officer finds University A's claims missing (404). The
arrangements (the page and its two forms) are the coordinators' alone (finance: 403). A receipt
needs only sign-in: anyone who may not have it finds it missing (404), so it has no "wrong role".
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from expenses.models import Claim, Receipt
from sessions_app.models import Booking
from tests.access import Access
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, attended_booking
from tests.factories import RECEIPT_PDF

PDF = RECEIPT_PDF


def attended_booking_of_university_a(world: World) -> Booking:
    return attended_booking(world.university, world.coordinator, world.volunteer.volunteer_profile)


def submitted_claim_of_university_a(world: World) -> dict[str, Any]:
    claim = ClaimFactory(
        booking=attended_booking_of_university_a(world),
        status=Claim.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return {"pk": claim.pk}


def booking_of_university_a(world: World) -> dict[str, Any]:
    return {"booking_pk": attended_booking_of_university_a(world).pk}


def arrangements_of_university_a(world: World) -> dict[str, Any]:
    return {"pk": attended_booking_of_university_a(world).pk}


def receipt_of_university_a(world: World) -> dict[str, Any]:
    claim = ClaimFactory(booking=attended_booking_of_university_a(world))
    receipt = Receipt(claim=claim, content_type="application/pdf", original_name="ticket.pdf", size=len(PDF))
    receipt.file.save("claim.pdf", ContentFile(PDF), save=False)
    receipt.save()
    return {"pk": receipt.pk}


def approver_page(name: str, kwargs: Any, **options: Any) -> Access:
    return Access(name, kwargs, allowed="finance", wrong_role="lead", other_org="other_finance", **options)


ACCESS_EXPENSES_APPROVER: list[Access] = [
    Access("expenses:queue", allowed="coordinator", wrong_role="lead"),
    approver_page("expenses:review", submitted_claim_of_university_a),
    # The decisions are POST-only writes; their GET is the confirmation page.
    approver_page("expenses:approve", submitted_claim_of_university_a),
    approver_page("expenses:reject", submitted_claim_of_university_a),
    Access(
        "expenses:return",
        submitted_claim_of_university_a,
        allowed="coordinator",
        wrong_role="volunteer",
        other_org="other_coordinator",
    ),
    Access(
        "expenses:claim_on_behalf",
        booking_of_university_a,
        allowed="coordinator",
        wrong_role="lead",
        other_org="other_coordinator",
    ),
    # The file is streamed from disk and this table never reads nor closes a response, so the
    # allowed download (the claimant's, an approver's) is checked in test_approver_views.
    Access("expenses:receipt", receipt_of_university_a, other_org="other_finance", for_staff=False),
    Access(
        "expenses:arrangements",
        arrangements_of_university_a,
        allowed="coordinator",
        wrong_role="finance",
        other_org="other_coordinator",
    ),
    # The page's two forms post to their own URLs. An empty POST to the taxi form is a valid
    # answer ("no taxi") that would change something, so its allowed case is in the view tests.
    Access(
        "expenses:arrangement_taxi",
        arrangements_of_university_a,
        wrong_role="finance",
        other_org="other_coordinator",
        method="post",
    ),
    # An empty POST names no cost: the page again with the errors (400), nothing recorded.
    Access(
        "expenses:arrangement_prepaid",
        arrangements_of_university_a,
        allowed="coordinator",
        allowed_status=400,
        wrong_role="finance",
        other_org="other_coordinator",
        method="post",
    ),
]
