"""Browser journeys: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from tests.conftest import CHROMIUM


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium); CI installs it")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page: object, base_url: str, email: str, *, totp: bool) -> None:
    """Sign a demo account in through the real pages, with the demo two-factor code for staff.

    A code is good for its 30 seconds only, so near the end of one this waits for the next.
    """
    from accounts.demo import DEMO_PASSWORD, TOTP_PERIOD_SECONDS, demo_totp_code

    page.goto(f"{base_url}/accounts/login/")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign In").click()  # type: ignore[attr-defined]
    if totp:
        left = TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS
        if left < 5:
            time.sleep(left + 0.5)
        page.get_by_label("Code").fill(demo_totp_code())  # type: ignore[attr-defined]
        page.get_by_role("button", name="Sign In").click()  # type: ignore[attr-defined]
