"""allauth adapters: account emails go through the outbox; a throttled sign-in is a 429 page;
staff keep their authenticator."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from accounts import throttling
from accounts.models import User
from accounts.permissions import is_staff_member
from accounts.sign_in import start_staff_session
from involvement.notifications import queue_notification


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render allauth's message and hand it to the outbox (content cleared once sent)."""
        site = SimpleNamespace(name="Involvement", domain=urlsplit(settings.SITE_URL).netloc)
        full_context = {"request": allauth_context.request, "email": email, "current_site": site, **context}
        message = self.render_mail(template_prefix, email, full_context)
        html = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
        )
        recipient = User.objects.filter(email__iexact=email).first()
        with transaction.atomic():
            queue_notification(
                template_key=f"account.{template_prefix.rsplit('/', 1)[-1]}",
                unique_key=f"account:{uuid.uuid4()}",
                recipient=recipient,
                email=email,
                context={"subject": message.subject, "text": message.body, "html": html},
            )

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def login(self, request: HttpRequest, user: User) -> None:
        """Sign in; a staff member's session then lasts a working day (``accounts.sign_in``)."""
        super().login(request, user)
        start_staff_session(request, user)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's count of failed sign-ins (per account and per address); a refusal is the
        429 page saying when to try again, not a form error (``accounts.throttling``)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if getattr(error, "code", None) != "too_many_login_attempts":
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            seconds = throttling.retry_after(request, action="login_failed", key=key)
            raise ImmediateHttpResponse(throttling.too_many_attempts(request, seconds)) from error


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff cannot remove their authenticator app: their role requires one."""
        if authenticator.type == Authenticator.Type.TOTP and is_staff_member(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
