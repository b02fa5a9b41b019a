"""What this sign-in proved, from allauth's record of how the session was authenticated.

allauth appends one record per step to the session (``{"method": "password", "at": ...}``, then
``{"method": "mfa", "type": "totp", ...}``), tied to the signed-in account. Staff pages ask these
records, not the account: an account with an authenticator app whose session never passed it (a
session made any other way) reaches no staff page (``accounts.middleware``).
"""

from __future__ import annotations

import datetime
import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from accounts.models import User
from accounts.permissions import is_staff_member

SECOND_FACTOR = "mfa"
# The session key holding when a staff member's sign-in began (a Unix time).
STAFF_SINCE = "involvement_staff_since"


def start_staff_session(request: HttpRequest, user: User) -> None:
    """A staff member has just signed in: their session lasts ``STAFF_SESSION_HOURS`` from now,
    whatever "remember me" said (the browser's cookie and the server's session both end then)."""
    if is_staff_member(user):
        request.session[STAFF_SINCE] = time.time()
        request.session.set_expiry(datetime.timedelta(hours=settings.STAFF_SESSION_HOURS))


def signed_in_at(request: HttpRequest, user: User) -> float | None:
    """When this session's first authentication step for ``user`` happened (a Unix time), if recorded."""
    times = [record["at"] for record in get_authentication_records(request, user) if "at" in record]
    return min(times) if times else None


def passed_second_factor(request: HttpRequest, user: User, totp: Authenticator) -> bool:
    """This session passed a code from ``user``'s authenticator app ``totp``: at sign-in or a later
    confirmation (allauth's "mfa" record), or by setting the app up after signing in, which means
    typing one of its codes (allauth records nothing then)."""
    records = get_authentication_records(request, user)
    if any(record.get("method") == SECOND_FACTOR for record in records):
        return True
    started = signed_in_at(request, user)
    return started is not None and totp.created_at.timestamp() >= started
