"""The verification reference printed on a certificate of involvement.

The reference is a keyed hash (Django's ``salted_hmac`` with the project's secret key) of the
volunteer, the day the certificate was issued and the sessions and hours on it. Someone holding a
certificate can ask the platform's support staff to confirm it: the reference recomputed from the
volunteer's record for that issue date matches only if the certificate lists what the platform
holds, and nobody without the secret key can make a reference that matches.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils.crypto import salted_hmac

from sessions_app.models import Booking
from volunteers.models import VolunteerProfile

SALT = "reports.certificate-of-involvement"


def certificate_reference(*, profile: VolunteerProfile, issued_on: datetime.date, bookings: Iterable[Booking]) -> str:
    """``INV-<issue date>-<volunteer number>-XXXX-XXXX-XXXX``: stable for the same volunteer, day
    and sessions; any other session list or day gives another."""
    content = "|".join(
        [str(profile.pk), issued_on.isoformat(), *(f"{booking.pk}:{booking.hours}" for booking in bookings)]
    )
    digest = salted_hmac(SALT, content, algorithm="sha256").hexdigest()[:12].upper()
    return f"INV-{issued_on:%Y%m%d}-{profile.pk}-{digest[:4]}-{digest[4:8]}-{digest[8:]}"
