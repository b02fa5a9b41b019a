"""Rotating the secret key as docs/OPERATIONS.md says: with the old key in SECRET_KEY_FALLBACKS,
an emailed invitation link signed before the change still opens, and the signed-in stay signed in;
once the old key is dropped, the old link is refused with the plain message."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from sessions_app.models import Booking
from sessions_app.services import SessionError, booking_from_token, invitation_token
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory

OLD_KEY = "old-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NEW_KEY = "new-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_old_links_and_sign_ins_hold_while_the_old_key_is_a_fallback(world: World) -> None:
    booking = BookingFactory(status=Booking.Status.INVITED)
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        token = invitation_token(booking)
        client = Client()
        client.force_login(world.volunteer)

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        opened = booking_from_token(token)
        page = client.get(reverse("sessions_app:my_sessions"))

    assert opened == booking
    assert page.status_code == 200


def test_once_the_old_key_is_dropped_its_links_are_refused_plainly(world: World) -> None:
    booking = BookingFactory(status=Booking.Status.INVITED)
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        token = invitation_token(booking)

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]), pytest.raises(SessionError) as refused:
        booking_from_token(token)

    assert str(refused.value) == "This invitation link is not valid. Please check you copied all of it."
