"""The calendar address page's "Copy the address" button puts the private address on the
clipboard and says so, for people who find selecting a long address hard."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_copy_the_calendar_address(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server.url, "volunteer@example.org", totp=False)
    page.goto(f"{live_server.url}/my-sessions/calendar/")
    address = page.get_by_label("Your private calendar address").input_value()

    page.get_by_role("button", name="Copy the address").click()

    assert page.get_by_role("status").filter(has_text="Copied").inner_text() == (
        "Copied. You can paste it into your calendar app now."
    )
    assert page.evaluate("navigator.clipboard.readText()") == address
