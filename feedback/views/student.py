"""The public student form, reached by the session's QR code: no account and nothing about the
student is asked or kept.

- One answer per browser: a random key lives in a long-lived, HttpOnly, SameSite=Lax cookie
  scoped to the link's own path; only its SHA-256 is stored with the answer.
- Answers are rate-limited per address (``FEEDBACK_STUDENT_RATE_LIMIT`` in
  ``FEEDBACK_STUDENT_RATE_WINDOW`` seconds, in the cache): over it, 429 and a plain message.
- A link nobody made (mistyped or tampered) is 404; a closed form, or a second answer from the
  same browser, is 400 with a clear message; neither changes anything. A GET never changes
  anything but the browser's own cookie.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from feedback import permissions, services
from feedback.forms import StudentResponseForm
from feedback.models import StudentFeedbackLink
from feedback.rate_limit import within_limit
from feedback.services import FeedbackError

COOKIE = "student_feedback"
COOKIE_AGE = 60 * 60 * 24 * 365
KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
NOT_FOUND_TEMPLATE = "feedback/link_invalid.html"
TOO_MANY = (
    "Too many answers have come from your network in the last few minutes. Please wait a few minutes and try again."
)


def client_address(request: HttpRequest) -> str:
    """The address allauth's own rate limits use (honouring ``ALLAUTH_TRUSTED_PROXY_COUNT``)."""
    try:
        return str(get_adapter(request).get_client_ip(request))
    except PermissionDenied:
        return "unknown"


@method_decorator(never_cache, name="dispatch")
class StudentResponseView(TemplateView):
    template_name = "feedback/student/response_form.html"
    link: StudentFeedbackLink
    browser_key: str | None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        link = (
            StudentFeedbackLink.objects.select_related("session__module__programme__university")
            .filter(token=kwargs["token"])
            .first()
        )
        if link is None:
            return render(
                request,
                NOT_FOUND_TEMPLATE,
                {
                    "heading": "We could not find this feedback form",
                    "error": "This link is not one of ours. Please check it is typed exactly as shown, or scan the "
                    "QR code again.",
                },
                status=404,
            )
        self.link = link
        key = request.COOKIES.get(COOKIE, "")
        self.browser_key = key if KEY_SHAPE.match(key) else None
        response = super().dispatch(request, *args, **kwargs)
        if self.browser_key is None:
            self.browser_key = secrets.token_urlsafe(32)
        if request.COOKIES.get(COOKIE) != self.browser_key:
            response.set_cookie(
                COOKIE,
                self.browser_key,
                max_age=COOKIE_AGE,
                path=request.path,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
            )
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", StudentResponseForm())
        context.update(
            session=self.link.session,
            state=permissions.student_form_state(self.link),
            refusal=permissions.student_answer_refusal(self.link),
            answered=services.has_answered(self.link, self.browser_key),
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context["state"] == "closed" else 200)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not within_limit(
            f"student:{self.link.pk}",
            client_address(request),
            limit=settings.FEEDBACK_STUDENT_RATE_LIMIT,
            window=settings.FEEDBACK_STUDENT_RATE_WINDOW,
        ):
            response = HttpResponse(TOO_MANY, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(settings.FEEDBACK_STUDENT_RATE_WINDOW)
            return response
        form = StudentResponseForm(request.POST)
        if form.is_valid():
            if self.browser_key is None:
                # A browser that sent no key yet (the form was not loaded from here): give it one now.
                self.browser_key = secrets.token_urlsafe(32)
            try:
                services.submit_student_response(link=self.link, browser_key=self.browser_key, **form.cleaned_data)
            except FeedbackError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)
