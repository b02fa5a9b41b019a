"""Forms for the approvers' pages: a decision on a claim (approve, reject with a reason, return
with a note), and the arrangements for a booking (a taxi agreed in advance, costs the university
paid). They validate input and never write: the views pass ``cleaned_data`` to
``expenses.services``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

AMOUNT_HELP = "In pounds and pence, for example 24.50."


class PoundsField(forms.DecimalField):
    """An amount of money typed as text ("24.50", "£24.50" or "1,024.50"), read as a Decimal with at
    most two decimal places (never a float)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        messages = {
            "required": "Please give the amount.",
            "invalid": "Please give the amount as a number of pounds, for example 24.50.",
            "max_decimal_places": "Please give the amount in pounds and pence, with at most two decimal places.",
            "max_digits": "That amount is too large. Please check it.",
            "max_whole_digits": "That amount is too large. Please check it.",
            "min_value": "The amount must be more than £0.00.",
        }
        messages.update(kwargs.pop("error_messages", {}))
        super().__init__(error_messages=messages, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # the stubs give IntegerField's type
        if isinstance(value, str):
            value = value.strip().removeprefix("£").replace(",", "").strip()
        return super().to_python(value)


class ConfirmForm(forms.Form):
    """A decision with nothing to fill in (approving, entering a paper claim)."""


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why is the claim rejected?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The volunteer will read this in an email. Please be kind and clear.",
        error_messages={"required": "Please give the reason: the volunteer will read it."},
    )


class ReturnForm(forms.Form):
    note = forms.CharField(
        label="What needs changing?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The volunteer will read this in an email, change the claim and send it again.",
        error_messages={"required": "Please say what needs changing: the volunteer will read it."},
    )


class TaxiForm(forms.Form):
    taxi_preapproved = forms.BooleanField(
        label="A taxi is agreed in advance for this session",
        required=False,
        help_text="The volunteer can then claim the fare, with a receipt.",
    )
    notes = forms.CharField(
        label="Notes about the arrangements (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: “Taxi both ways, from home to the Health Sciences Building.”",
    )


class PrepaidCostForm(forms.Form):
    description = forms.CharField(
        label="What did the university pay for?",
        max_length=200,
        help_text="For example: “Return train ticket, booked by the school office”.",
        error_messages={"required": "Please say what was paid for."},
    )
    amount = PoundsField(label="Amount paid", help_text=AMOUNT_HELP, min_value=Decimal("0.01"))
