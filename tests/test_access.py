"""Who gets what at every URL of the project.

``test_every_url_has_an_access_entry`` walks the URL configuration and fails when a project URL
has no entry in ``ACCESS``. Each entry then says what an anonymous visitor gets (the sign-in
redirect, unless the page is public), which user gets the page (200), which user has the wrong
role (403) and which holds the role in another organisation (404).

From the same entries, the refusals: an anonymous POST to every URL that is not public; every
staff role of the other university and of the other charity, GET and POST, wherever an entry has
someone elsewhere; a volunteer at every staff URL; and a staff member whose session did not pass
two-factor authentication, or who has no authenticator app, at every staff URL. Each refusal
leaves every table of the database as it was (``tests.access.database_fingerprint``).

One world serves the whole module: each test's own rows (what the entry's ``kwargs`` makes) are
rolled back after it, as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership, User
from accounts.services import invitation_token
from tests.access import Access, changed_tables, database_fingerprint
from tests.conftest import World, build_world, signed_in
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

pytestmark = pytest.mark.django_db

# URLs that are not the project's own: Django's admin (it requires is_staff and has its own
# sign-in) and allauth's account pages (public or signed-in by allauth's own rules).
EXTERNAL_NAMESPACES = {"admin"}
EXTERNAL_MODULE_PREFIXES = ("allauth.", "django.contrib.admin")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One world for the module, rolled back at its end (each test runs in a savepoint of it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


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


def test_every_url_has_an_access_entry() -> None:
    listed = {entry.name for entry in ACCESS}
    unnamed = [route for name, route in project_urls() if not name or name.endswith(":")]
    missing = sorted(name for name, _route in project_urls() if name not in listed)

    assert unnamed == [], "every project URL needs a name so the access table can list it"
    assert missing == [], f"add these URLs to ACCESS in tests/test_access.py: {missing}"


def test_access_table_names_only_real_urls() -> None:
    known = {name for name, _route in project_urls()}

    assert sorted(entry.name for entry in ACCESS if entry.name not in known) == []


@pytest.mark.parametrize("entry", ACCESS, ids=lambda entry: entry.name)
def test_access(entry: Access, world: World, client: Client) -> None:
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


def test_admin_site_needs_support_staff(world: World, client: Client) -> None:
    assert client.get("/support/").status_code == 302
    assert signed_in(world.admin).get("/support/").status_code == 302


# The refusals ------------------------------------------------------------------------------------

# Every staff role elsewhere: the other university's and the other charity's.
ELSEWHERE = ["other_admin", "other_coordinator", "other_finance", "other_lead", "other_charity_admin"]
REFUSED = {403, 404}
# A GET-only page answers a POST with 405 before it looks anything up (and a POST-only URL a GET).
REFUSED_OR_NOT_TAKEN = {*REFUSED, 405}
NOT_PUBLIC = [entry for entry in ACCESS if not entry.public]
WITH_OTHER_ORG = [entry for entry in ACCESS if entry.other_org]
STAFF_PAGES = [entry for entry in ACCESS if entry.staff_page]


@pytest.fixture(scope="module")
def browsers(world: World) -> dict[str, Client]:
    """Signed-in clients of the volunteer and of every staff role elsewhere, for the module (what a
    request writes to a session is rolled back with its test)."""
    return {name: signed_in(getattr(world, name)) for name in [*ELSEWHERE, "volunteer"]}


def both_methods(browser: Client, url: str) -> dict[str, Any]:
    return {"get": browser.get(url), "post": browser.post(url)}


def test_the_refusals_cover_the_table() -> None:
    """Every user an entry names elsewhere is among those tried, and every staff URL names the
    staff user it is for (who is then tried without two-factor authentication)."""
    assert {entry.other_org for entry in WITH_OTHER_ORG} - set(ELSEWHERE) == set()
    assert [entry.name for entry in STAFF_PAGES if entry.staff_user is None] == []


@pytest.mark.parametrize("entry", NOT_PUBLIC, ids=lambda entry: entry.name)
def test_an_anonymous_post_is_refused(entry: Access, world: World, client: Client) -> None:
    url = reverse(entry.name, kwargs=entry.kwargs(world))
    before = database_fingerprint()

    response = client.post(url)

    if response.status_code == 302:
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    else:
        assert response.status_code in {403, 405}
    assert changed_tables(before) == []


@pytest.mark.parametrize("entry", WITH_OTHER_ORG, ids=lambda entry: entry.name)
def test_every_staff_role_elsewhere_finds_nothing(entry: Access, world: World, browsers: dict[str, Client]) -> None:
    """The entry's user elsewhere gets 404; every other staff role elsewhere gets 404, or 403
    where the role is wrong for the page whatever the organisation (or 405 for a method the URL
    does not take, for anyone)."""
    url = reverse(entry.name, kwargs=entry.kwargs(world))
    before = database_fingerprint()

    answers = {
        (name, method): response.status_code
        for name in ELSEWHERE
        for method, response in both_methods(browsers[name], url).items()
    }

    assert {key: status for key, status in answers.items() if status not in REFUSED_OR_NOT_TAKEN} == {}
    assert answers[(str(entry.other_org), entry.method)] == 404
    assert changed_tables(before) == []


@pytest.mark.parametrize("entry", STAFF_PAGES, ids=lambda entry: entry.name)
def test_a_volunteer_never_reaches_a_staff_page(entry: Access, world: World, browsers: dict[str, Client]) -> None:
    url = reverse(entry.name, kwargs=entry.kwargs(world))
    before = database_fingerprint()

    answers = {method: response.status_code for method, response in both_methods(browsers["volunteer"], url).items()}

    assert answers[entry.method] in REFUSED, answers
    assert set(answers.values()) <= REFUSED_OR_NOT_TAKEN, answers
    assert changed_tables(before) == []


@pytest.mark.parametrize("entry", STAFF_PAGES, ids=lambda entry: entry.name)
def test_staff_without_two_factor_reach_no_staff_page(entry: Access, world: World) -> None:
    """A session that never passed the code is asked for one; an account with no authenticator
    app is sent to set one up. Neither reaches the page, GET or POST, nor changes anything."""
    url = reverse(entry.name, kwargs=entry.kwargs(world))
    user = getattr(world, entry.staff_user or "")
    unconfirmed = Client()
    unconfirmed.force_login(user)  # signed in, but not through the code
    before = database_fingerprint()

    for response in both_methods(unconfirmed, url).values():
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('mfa_reauthenticate')}?{urlencode({'next': url})}",
        )
    assert changed_tables(before) == []

    Authenticator.objects.filter(user=user).delete()
    without_app = signed_in(user)
    before = database_fingerprint()

    for response in both_methods(without_app, url).values():
        assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))
    assert changed_tables(before) == []
