"""Access-table entries for the volunteers app's network pages (see tests/test_access.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests import factories
from tests.access import Access
from tests.conftest import World
from volunteers.models import NetworkMembership, OnboardingCheck

Status = NetworkMembership.Status


def network_slug(world: World) -> dict[str, Any]:
    return {"slug": world.charity.slug}


def member_of_charity_a(status: str) -> Callable[[World], dict[str, Any]]:
    """kwargs for a page about a Charity A volunteer in ``status``."""

    def kwargs(world: World) -> dict[str, Any]:
        membership = factories.NetworkMembershipFactory(network=world.charity, status=status)
        return {"slug": world.charity.slug, "pk": membership.pk}

    return kwargs


def check_of_charity_a_applicant(world: World) -> dict[str, Any]:
    membership = factories.NetworkMembershipFactory(network=world.charity, status=Status.APPLICANT)
    check = factories.OnboardingCheckFactory(membership=membership, kind=OnboardingCheck.Kind.INDUCTION)
    return {"slug": world.charity.slug, "pk": membership.pk, "check_pk": check.pk}


def charity_a_volunteer(world: World) -> dict[str, Any]:
    return {"pk": world.volunteer.volunteer_profile.pk}


def lead_page(name: str, kwargs: Callable[[World], dict[str, Any]]) -> Access:
    return Access(name, kwargs, allowed="lead", wrong_role="coordinator", other_org="other_lead")


ACCESS_NETWORK: list[Access] = [
    # Redirects the lead to their own network's list; another lead is sent to theirs, so no 404 case.
    Access("volunteers:my_network", allowed="lead", allowed_status=302, wrong_role="volunteer"),
    lead_page("volunteers:network_list", network_slug),
    lead_page("volunteers:network_volunteer", member_of_charity_a(Status.ACTIVE)),
    lead_page("volunteers:accept", member_of_charity_a(Status.APPLICANT)),
    lead_page("volunteers:decline", member_of_charity_a(Status.APPLICANT)),
    lead_page("volunteers:lead_pause", member_of_charity_a(Status.ACTIVE)),
    lead_page("volunteers:reactivate", member_of_charity_a(Status.PAUSED)),
    lead_page("volunteers:erase", member_of_charity_a(Status.ACTIVE)),
    lead_page("volunteers:check_add", member_of_charity_a(Status.APPLICANT)),
    lead_page("volunteers:check_edit", check_of_charity_a_applicant),
    lead_page("volunteers:consent_record", member_of_charity_a(Status.ACTIVE)),
    lead_page("volunteers:tags", network_slug),
    lead_page("volunteers:data_views", network_slug),
    Access(
        "volunteers:volunteer_summary",
        charity_a_volunteer,
        allowed="coordinator",
        wrong_role="finance",
        other_org="other_coordinator",
    ),
]
