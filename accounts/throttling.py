"""Sign-in throttling: when a refused sign-in may be tried again, and the 429 page that says so.

The limits themselves are allauth's rate limits, set in ``settings.ACCOUNT_RATE_LIMITS`` and kept
in the default cache (the database). allauth refuses a wrong-password or wrong-code flood with a
form error; ``accounts.adapter`` and ``accounts.forms`` turn that refusal into this page instead,
with HTTP 429, a ``Retry-After`` header and the time to come back.

``retry_after`` reads allauth's own counters (``allauth.core.internal.ratelimit``: internal, so
the allauth version is pinned and ``tests/security/test_sign_in.py`` checks the figures).
"""

from __future__ import annotations

import datetime
import math
import time
from http import HTTPStatus

from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

APP = "allauth.account"
# allauth's limits on the sign-in views themselves (per address) all count over one minute.
VIEW_WINDOW_SECONDS = 60


def retry_after(request: HttpRequest, *, action: str, key: str | None = None) -> int:
    """Seconds until ``action`` (keyed by ``key``, and by the request's address) is allowed again:
    for each of its rates that is full, when enough of the recorded attempts have aged out of the
    window. 0 when none is full (allauth refused because it could not take its lock)."""
    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app=APP, action=action):
        try:
            cache_key = ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key)
        except ImproperlyConfigured:  # a per-user rate on an anonymous request: not this refusal
            continue
        # Newest first, as allauth keeps them; only those still inside the window count.
        attempts = [stamp for stamp in cache.get(cache_key, []) if stamp > now - rate.duration]
        if len(attempts) >= rate.amount:
            wait = max(wait, attempts[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait)


def too_many_attempts(request: HttpRequest, seconds: int) -> HttpResponse:
    """The plain 429 page: what happened, when to try again (UK time), and what else can be done."""
    if seconds <= 0:  # refused without a full count (allauth's lock was busy): a minute is plenty
        seconds = VIEW_WINDOW_SECONDS
    again_at = timezone.localtime() + datetime.timedelta(seconds=seconds)
    response = render(
        request,
        "429.html",
        {"again_at": again_at, "minutes": math.ceil(seconds / 60)},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler429``: allauth's per-address limits on its views, each counted over a minute."""
    return too_many_attempts(request, VIEW_WINDOW_SECONDS)
