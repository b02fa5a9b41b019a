"""A volunteer withdraws a consent that a session she is booked into needs: the real pages say what
will change before it does, then her place is cancelled and the coordinator is told."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from involvement.models import Notification
from sessions_app.models import Booking
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_withdrawing_a_needed_consent_warns_then_cancels_the_place(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    place = Booking.objects.select_related("session").get(
        volunteer__user__email="volunteer@example.org",
        status=Booking.Status.ACCEPTED,
        session__required_consents__code="share-story",
    )
    base = live_server.url

    sign_in(page, base, "volunteer@example.org", totp=False)
    page.get_by_role("link", name="Consent", exact=True).click()
    section = page.locator("section", has=page.get_by_role("heading", name="Share my story with students"))
    section.get_by_role("button", name="Withdraw my consent").click()

    # Nothing has changed yet: the page says what will.
    assert page.locator("h1").inner_text() == "Withdraw your consent to “Share my story with students”?"
    [consequence] = page.locator("#consequences li").all_inner_texts()
    assert f"“{place.session.title}”" in consequence
    place.refresh_from_db()
    assert place.status == Booking.Status.ACCEPTED

    page.get_by_role("button", name="Withdraw and cancel this place").click()

    assert page.locator("h1").inner_text() == "What you agree to"
    assert (
        "We have cancelled the places that needed it and told the coordinators."
        in page.locator(".alert-success").inner_text()
    )
    place.refresh_from_db()
    assert place.status == Booking.Status.CANCELLED
    told = Notification.objects.get(unique_key=f"booking-cancelled:{place.pk}:owner")
    assert (told.email, told.context["reason"]) == (
        "coordinator@example.org",
        "They withdrew their consent to “Share my story with students”, which this session needs.",
    )

    # Her sessions list the place as cancelled, no longer as one to come.
    page.get_by_role("link", name="My sessions", exact=True).click()
    assert place.session.title not in page.locator("#upcoming").inner_text()
    assert place.session.title in page.locator("#past").inner_text()
