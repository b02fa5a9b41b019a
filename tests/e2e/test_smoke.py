"""Every demo account signs in through the real pages (TOTP included) and lands on its home."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# email, whether two-factor is asked for, the heading of the page they land on
DEMO_HOMES = [
    ("volunteer@example.org", False, "My sessions"),
    ("coordinator@example.org", True, "Sessions"),
    ("coordinator.b@example.org", True, "Sessions"),
    ("lead@example.org", True, "Volunteers of Breast Cancer Voices"),
    ("finance@example.org", True, "Claims"),
    ("admin@example.org", True, "Members of University of Northbridge"),
]


def test_every_demo_account_signs_in_and_sees_its_home(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)

    for email, totp, heading in DEMO_HOMES:
        page.context.clear_cookies()
        sign_in(page, live_server.url, email, totp=totp)

        assert page.locator("h1").inner_text() == heading, email
        assert page.locator("h1").count() == 1
        page.get_by_role("button", name="Sign out").click()
