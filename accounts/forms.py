from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Membership


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
