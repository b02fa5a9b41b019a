"""Who gets what at every URL of the project.

``test_every_url_has_an_access_entry`` walks the URL configuration and fails when a project URL
has no entry in ``ACCESS``. Each entry then says what an anonymous visitor gets (the sign-in
redirect, unless the page is public), which user gets the page (200), which user has the wrong
role (403) and which holds the role in another organisation (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership, User
from accounts.services import invitation_token
from tests.access import Access
from tests.conftest import World, signed_in
from tests.expenses.access_approver import ACCESS_EXPENSES_APPROVER
from tests.expenses.access_finance import ACCESS_EXPENSES_FINANCE
from tests.expenses.access_own import ACCESS_EXPENSES_OWN
from tests.factories import MemberInvitationFactory
from tests.feedback.access_feedback import ACCESS_FEEDBACK
from tests.reports.access_reports import ACCESS_REPORTS
from tests.sessions_app.access_bookings import ACCESS_BOOKINGS
from tests.sessions_app.access_coordinator import ACCESS_COORDINATOR
from tests.sessions_app.access_volunteer import ACCESS_VOLUNTEER
from tests.volunteers.access_consent_texts import ACCESS_CONSENT_TEXTS
from tests.volunteers.access_network import ACCESS_NETWORK
from tests.volunteers.access_own import ACCESS_OWN
from tests.volunteers.access_public import ACCESS_PUBLIC

# URLs that are not the project's own: Django's admin (it requires is_staff and has its own
# sign-in) and allauth's account pages (public or signed-in by allauth's own rules).
EXTERNAL_NAMESPACES = {"admin"}
EXTERNAL_MODULE_PREFIXES = ("allauth.", "django.contrib.admin")


def membership_of(user: User) -> Membership:
    return Membership.objects.filter(user=user).first()  # type: ignore[return-value]


def org_slug(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug}


def pending_invitation(world: World) -> dict[str, Any]:
    invitation = MemberInvitationFactory(organisation=world.university, invited_by=world.admin)
    return {"slug": world.university.slug, "pk": invitation.pk}


def coordinator_membership(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug, "pk": membership_of(world.coordinator).pk}


def invitation_link(world: World) -> dict[str, Any]:
    invitation = MemberInvitationFactory(
        organisation=world.university, invited_by=world.admin, email=world.outsider.email
    )
    return {"token": invitation_token(invitation)}


ACCOUNTS_ACCESS: list[Access] = [
    Access("home", public=True, allowed="outsider"),
    Access("health", public=True, allowed="outsider"),
    Access("accounts:invitation", invitation_link, public=True, allowed="outsider"),
    Access("accounts:organisations", allowed="coordinator", wrong_role="volunteer"),
    Access("accounts:organisation", org_slug, allowed="coordinator", wrong_role="volunteer", other_org="other_lead"),
    Access("accounts:members", org_slug, allowed="admin", wrong_role="coordinator", other_org="other_admin"),
    Access("accounts:invite", org_slug, allowed="admin", wrong_role="finance", other_org="other_admin"),
    Access(
        "accounts:change_role",
        coordinator_membership,
        allowed="admin",
        wrong_role="coordinator",
        other_org="other_admin",
    ),
    Access(
        "accounts:remove_member",
        coordinator_membership,
        allowed="admin",
        wrong_role="lead",
        other_org="other_admin",
    ),
    Access(
        "accounts:revoke_invitation",
        pending_invitation,
        allowed="admin",
        wrong_role="coordinator",
        other_org="other_admin",
    ),
]

ACCESS: list[Access] = (
    ACCOUNTS_ACCESS
    + ACCESS_OWN
    + ACCESS_PUBLIC
    + ACCESS_NETWORK
    + ACCESS_CONSENT_TEXTS
    + ACCESS_COORDINATOR
    + ACCESS_BOOKINGS
    + ACCESS_VOLUNTEER
    + ACCESS_EXPENSES_OWN
    + ACCESS_EXPENSES_APPROVER
    + ACCESS_EXPENSES_FINANCE
    + ACCESS_REPORTS
    + ACCESS_FEEDBACK
)


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, str]]:
    """Every (name, route, view module) reachable from ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner_namespace = namespace
            if pattern.namespace:
                inner_namespace = f"{namespace}{pattern.namespace}:"
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner_namespace)
        elif isinstance(pattern, URLPattern):
            module = getattr(pattern.callback, "__module__", "") or ""
            view_class = getattr(pattern.callback, "view_class", None)
            if view_class is not None:
                module = view_class.__module__
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}"
            yield name, prefix + str(pattern.pattern), module


def project_urls() -> list[tuple[str, str]]:
    found = []
    for name, route, module in walk(get_resolver().url_patterns):
        if name.split(":", 1)[0] in EXTERNAL_NAMESPACES or module.startswith(EXTERNAL_MODULE_PREFIXES):
            continue
        if module.startswith("django.views.static"):
            continue
        found.append((name, route))
    return found


def test_every_url_has_an_access_entry():
    listed = {entry.name for entry in ACCESS}
    unnamed = [route for name, route in project_urls() if not name or name.endswith(":")]
    missing = sorted(name for name, _route in project_urls() if name not in listed)

    assert unnamed == [], "every project URL needs a name so the access table can list it"
    assert missing == [], f"add these URLs to ACCESS in tests/test_access.py: {missing}"


def test_access_table_names_only_real_urls():
    known = {name for name, _route in project_urls()}

    assert sorted(entry.name for entry in ACCESS if entry.name not in known) == []


@pytest.mark.parametrize("entry", ACCESS, ids=lambda entry: entry.name)
def test_access(entry: Access, world: World, client):
    url = reverse(entry.name, kwargs=entry.kwargs(world))

    def fetch(browser: Client) -> HttpResponse:
        return getattr(browser, entry.method)(url)

    anonymous = fetch(client)
    if entry.public:
        assert anonymous.status_code == 200
    else:
        assert anonymous.status_code == 302
        assert anonymous["Location"] == f"{reverse('account_login')}?next={url}"

    if entry.allowed:
        assert fetch(signed_in(getattr(world, entry.allowed))).status_code == entry.allowed_status
    if entry.wrong_role:
        assert fetch(signed_in(getattr(world, entry.wrong_role))).status_code == 403
    if entry.other_org:
        assert fetch(signed_in(getattr(world, entry.other_org))).status_code == 404


def test_admin_site_needs_support_staff(world: World, client):
    assert client.get("/support/").status_code == 302
    assert signed_in(world.admin).get("/support/").status_code == 302
