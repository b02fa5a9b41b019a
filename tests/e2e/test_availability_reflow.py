"""The availability grid fits a 320 px wide screen: the Evening column is on screen, with no
scrolling sideways, for the page or the grid."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [320, 390])
def test_the_availability_grid_fits_a_phone(live_server, page, settings, width):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    sign_in(page, live_server.url, "volunteer@example.org", totp=False)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/me/availability/")

    grid = page.locator(".table-responsive")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert grid.evaluate("element => element.scrollWidth <= element.clientWidth")
    evening = page.get_by_role("columnheader", name="Evening")
    box = evening.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width
