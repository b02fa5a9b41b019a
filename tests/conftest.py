from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from accounts.models import Membership, Organisation, User
from accounts.sign_in import STAFF_SINCE
from tests import factories
from volunteers.models import ConsentPurpose
from volunteers.services import ensure_consent_purposes

USES_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
USES_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    skip_redis = pytest.mark.skip(reason="needs a real Redis broker: set REDIS_URL=redis://... (CI does)")
    for item in items:
        if "postgres" in item.keywords and not USES_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not USES_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _fresh_cache_and_media(tmp_path: object, settings: object) -> None:
    """Rate limits and used TOTP codes live in the cache: each test starts clean."""
    cache.clear()
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@dataclass
class World:
    """Two universities and two charities; A's are partnered, B's are partnered; each has staff."""

    university: Organisation
    charity: Organisation
    other_university: Organisation
    other_charity: Organisation
    admin: User
    coordinator: User
    finance: User
    lead: User
    other_admin: User
    other_coordinator: User
    other_lead: User
    other_finance: User
    volunteer: User
    outsider: User
    # A second kind of organisation elsewhere: Charity B's org admin (beside its lead).
    other_charity_admin: User


def build_world() -> World:
    university = factories.UniversityFactory(name="University A", slug="university-a")
    charity = factories.CharityFactory(name="Charity A", slug="charity-a")
    other_university = factories.UniversityFactory(name="University B", slug="university-b")
    other_charity = factories.CharityFactory(name="Charity B", slug="charity-b")
    factories.PartnershipFactory(network=charity, university=university)
    factories.PartnershipFactory(network=other_charity, university=other_university)
    volunteer_membership = factories.NetworkMembershipFactory(network=charity)
    Role = Membership.Role
    return World(
        university=university,
        charity=charity,
        other_university=other_university,
        other_charity=other_charity,
        admin=factories.staff(Role.ADMIN, university, email="admin@a.example.org"),
        coordinator=factories.staff(Role.COORDINATOR, university, email="coordinator@a.example.org"),
        finance=factories.staff(Role.FINANCE, university, email="finance@a.example.org"),
        lead=factories.staff(Role.LEAD, charity, email="lead@a.example.org"),
        other_admin=factories.staff(Role.ADMIN, other_university, email="admin@b.example.org"),
        other_coordinator=factories.staff(Role.COORDINATOR, other_university, email="coordinator@b.example.org"),
        other_lead=factories.staff(Role.LEAD, other_charity, email="lead@b.example.org"),
        other_finance=factories.staff(Role.FINANCE, other_university, email="finance@b.example.org"),
        volunteer=volunteer_membership.volunteer.user,
        outsider=factories.UserFactory(email="outsider@example.org"),
        other_charity_admin=factories.staff(Role.ADMIN, other_charity, email="charity-admin@b.example.org"),
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def signed_in(user: User) -> Client:
    """A client signed in as ``user``, with two-factor done when the user has it: the session
    holds allauth's record of a password then a TOTP code, as a real sign-in leaves it (staff
    pages ask for that record, not just for an authenticator: accounts.sign_in)."""
    client = Client()
    client.force_login(user)
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        now = time.time()
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "type": "totp", "id": totp.pk},
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session[STAFF_SINCE] = now  # as signing in does for staff (accounts.sign_in)
        session.save()
    return client


@pytest.fixture
def consent_purposes(db: None) -> list[ConsentPurpose]:
    """The standard purposes (the data migration makes them; tests run without migrations)."""
    return ensure_consent_purposes()


@pytest.fixture
def db_name() -> str:
    return str(connection.settings_dict["NAME"])


# Debian's Chromium for the browser tests (tests/e2e/, tests/security/test_hostile_input.py): one
# browser for the whole test process, shared by every folder that drives it.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread for the whole
    # session; the tests' own database calls (seeding, assertions, flushing) are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
