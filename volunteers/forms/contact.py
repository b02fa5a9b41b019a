"""How to reach a volunteer: the fields the application form and the profile share, and the rule
(``services.missing_contact_details``) that the way they chose has what it needs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from volunteers.services import missing_contact_details

PHONE_NUMBER = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{5,38}$",
    "Please enter a phone number using digits, for example 07700 900123.",
)


def phone_field() -> forms.CharField:
    return forms.CharField(
        label="Phone number",
        max_length=40,
        required=False,
        validators=[PHONE_NUMBER],
        help_text="Needed if you would like a phone call or a text message (40 characters at most).",
        error_messages={"max_length": "Please keep the phone number to 40 characters or fewer."},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


def postal_address_field() -> forms.CharField:
    return forms.CharField(
        label="Postal address",
        max_length=500,
        required=False,
        help_text="Needed if you would like letters by post (500 characters at most).",
        error_messages={"max_length": "Please keep the address to 500 characters or fewer."},
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )


class ContactDetailsMixin(forms.Form):
    """Asks for the phone number or the address the chosen way of contact needs, next to the field."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        missing = missing_contact_details(
            channel=cleaned.get("contact_channel") or "",
            phone=cleaned.get("phone") or "",
            postal_address=cleaned.get("postal_address") or "",
        )
        for field, message in missing.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned
