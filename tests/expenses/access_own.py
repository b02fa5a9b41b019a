"""Access-table entries for the expenses own pages (see tests/test_access.py).

The money page, the statement and starting a claim need a volunteer profile: the coordinator has
none, so gets 403. A claim's pages are for its volunteer and the coordinators and finance officers
of its university (paper claims): a lead is neither (403); University B's staff find no such claim
(404). Another volunteer's claim is 404 too (tested in test_own_views.py).
"""

from __future__ import annotations

from typing import Any

from expenses.models import Claim
from expenses.services import open_claim
from sessions_app.models import Booking
from tests.access import Access
from tests.conftest import World
from tests.expenses.factories import ClaimItemFactory, attended_booking, rate_card_for
from volunteers.models import VolunteerProfile


def attended(world: World) -> Booking:
    rate_card_for(world.university)
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    return attended_booking(world.university, world.coordinator, profile)


def own_claim(world: World) -> Claim:
    return open_claim(booking=attended(world), actor=world.volunteer)


def booking_kwargs(world: World) -> dict[str, Any]:
    return {"booking_pk": attended(world).pk}


def claim_kwargs(world: World) -> dict[str, Any]:
    return {"pk": own_claim(world).pk}


def item_kwargs(world: World) -> dict[str, Any]:
    claim = own_claim(world)
    return {"pk": claim.pk, "item_pk": ClaimItemFactory(claim=claim).pk}


def claim_page(name: str, kwargs: Any = claim_kwargs, **fields: Any) -> Access:
    return Access(name, kwargs, allowed="volunteer", wrong_role="lead", other_org="other_coordinator", **fields)


ACCESS_EXPENSES_OWN: list[Access] = [
    Access("expenses:money", allowed="volunteer", wrong_role="coordinator"),
    Access("expenses:fees_and_benefits", public=True, allowed="outsider"),
    Access("expenses:statement", lambda world: {"year": 2025}, allowed="volunteer", wrong_role="coordinator"),
    Access("expenses:statement_pdf", lambda world: {"year": 2025}, allowed="volunteer", wrong_role="coordinator"),
    Access("expenses:claim_open", booking_kwargs, allowed="volunteer", wrong_role="coordinator"),
    claim_page("expenses:claim"),
    # The claim form's steps.
    claim_page("expenses:claim_journey"),
    claim_page("expenses:claim_costs"),
    claim_page("expenses:fee_choice"),
    claim_page("expenses:submit"),
    claim_page("expenses:item_remove", item_kwargs),
]
