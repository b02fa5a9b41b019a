"""Pages with personal data are never stored by a browser or a proxy."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in person, and on every
    page reached through a private link (a URL with a ``token``: an invitation, a calendar feed).

    One rule for the whole site rather than a decorator per view: a profile, adjustments, a lead's
    volunteer page, a session page with adjustments, a claim, an export or a PDF cannot be
    forgotten. Public pages seen signed out and static files (served before this, by WhiteNoise)
    stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if (user is not None and user.is_authenticated) or (match is not None and "token" in match.kwargs):
            patch_cache_control(response, private=True, no_store=True)
        return response
