from __future__ import annotations

from typing import Any

from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.core.exceptions import ValidationError

from accounts import throttling
from accounts.models import Membership, User


class InviteMemberForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="We will email them a link. It works for 14 days.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label="New role", choices=Membership.Role.choices)

    def __init__(self, *args: Any, current_role: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current_role:
            self.fields["role"].initial = current_role


class TooManyCodesAre429:
    """Too many wrong two-factor codes for the account is the 429 page saying when to try again
    (``accounts.throttling``), not a form error: for signing in and for confirming it is you."""

    user: User

    def clean_code(self) -> str:
        try:
            return str(super().clean_code())  # type: ignore[misc]
        except ValidationError as error:
            if getattr(error, "code", None) != "too_many_login_attempts":
                raise
            request = allauth_context.request
            # allauth counts a person's wrong codes under this key (allauth.mfa.base.internal.flows).
            seconds = throttling.retry_after(request, action="login_failed", key=f"mfa-auth-user-{self.user.pk}")
            raise ImmediateHttpResponse(throttling.too_many_attempts(request, seconds)) from error


class TwoFactorForm(TooManyCodesAre429, AuthenticateForm):
    """allauth's two-factor code form at sign-in (``MFA_FORMS["authenticate"]``)."""


class TwoFactorReauthenticateForm(TooManyCodesAre429, ReauthenticateForm):
    """allauth's two-factor code form before a sensitive change (``MFA_FORMS["reauthenticate"]``)."""
