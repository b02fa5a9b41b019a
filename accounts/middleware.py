"""Staff pages need a sign-in that passed two-factor authentication, for at most a working day."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts import sign_in
from accounts.models import User
from accounts.permissions import is_staff_member

# Paths a staff member without two-factor authentication may still open: their account pages
# (where two-factor is set up or confirmed), signing out, static files and the health check.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/health/")


class StaffTwoFactorMiddleware:
    """For anyone holding a staff role, on every page but ``ALLOWED_PREFIXES``:

    - no authenticator app yet: sent to set one up;
    - signed in more than ``STAFF_SESSION_HOURS`` ago (counted from signing in, or from the first
      staff page of a session that began before its role): signed out and asked to sign in again;
    - this session never passed the second factor (it was made some other way than allauth's
      sign-in with the code): asked for a code from the app before going on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.STAFF_ROLES_REQUIRE_MFA
            and isinstance(user, User)
            and not request.path.startswith(ALLOWED_PREFIXES)
            and is_staff_member(user)
        ):
            refusal = self.refusal(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refusal(self, request: HttpRequest, user: User) -> HttpResponse | None:
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            messages.info(
                request,
                "Your role at an organisation needs two-factor authentication. "
                "Please set up an authenticator app to continue.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        started = request.session.setdefault(sign_in.STAFF_SINCE, time.time())
        if time.time() - started > settings.STAFF_SESSION_HOURS * 3600:
            logout(request)
            messages.info(
                request,
                f"For safety, staff sign-ins last {settings.STAFF_SESSION_HOURS} hours. Please sign in again.",
            )
            return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
        if not sign_in.passed_second_factor(request, user, totp):
            messages.info(request, "Please confirm it is you with a code from your authenticator app.")
            return HttpResponseRedirect(
                f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}"
            )
        return None
