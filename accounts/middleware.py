"""Staff must use two-factor authentication before any staff page opens."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.permissions import is_staff_member

# Paths a staff member without two-factor authentication may still open: their account pages
# (where two-factor is set up), signing out, static files and the health check.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/health/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.STAFF_ROLES_REQUIRE_MFA
            and request.user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and is_staff_member(request.user)
            and not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.info(
                request,
                "Your role at an organisation needs two-factor authentication. "
                "Please set up an authenticator app to continue.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
