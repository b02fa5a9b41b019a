"""Forms for the volunteer's money pages (also used by staff entering a paper claim).

They parse and check the shape of what was typed; every rule about money (more than zero, under
the ceiling, taxis agreed in advance, receipts) is ``expenses.services``'s, and its ClaimError is
shown next to the field it is about.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.validators import RegexValidator

from expenses.models import Claim, ClaimItem
from involvement.forms import MoneyField
from involvement.widgets import DateInput

Kind = ClaimItem.Kind
FeeChoice = Claim.FeeChoice

DECIMAL_INPUT = {"inputmode": "decimal", "autocomplete": "off"}
DATE_WIDGET = DateInput()
RECEIPT_TYPES = ".pdf,.jpg,.jpeg,.png"
# Outward code, a space (optional when typed), inward code: LS1 4DY, SW1A 1AA, M1 1AE.
UK_POSTCODE = RegexValidator(
    r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$",
    "Please enter a UK postcode, for example LS1 4DY.",
)


class PostcodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=10,
            required=False,
            validators=[UK_POSTCODE],
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value: Any) -> str:
        """Capitals, with one space before the inward code: "ls14dy" reads as "LS1 4DY"."""
        compact = "".join(str(super().to_python(value)).upper().split())
        return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


class ItemForm(forms.Form):
    """One expense. Mileage is miles, vehicle and postcodes (the amount is worked out for the
    volunteer); every other kind is an amount. ``receipt_kinds`` names the kinds that need a receipt."""

    kind = forms.ChoiceField(
        label="What was it for?",
        choices=[("", "Choose one"), *Kind.choices],
        error_messages={
            "required": "Please choose what the expense was for.",
            "invalid_choice": "Please choose what the expense was for.",
        },
    )
    date = forms.DateField(
        label="Date",
        widget=DATE_WIDGET,
        help_text="Usually the day of the session.",
        error_messages={
            "required": "Please enter the date, for example 17/03/2026.",
            "invalid": "Please enter a real date, for example 17/03/2026.",
        },
    )
    miles = forms.DecimalField(
        label="Miles travelled",
        required=False,
        max_digits=7,
        decimal_places=1,
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
        help_text="There and back, for example 12.5.",
        error_messages={
            "invalid": "Please enter the number of miles, for example 12.5.",
            "max_decimal_places": "Please give the miles to one decimal place at most, for example 12.5.",
            "max_digits": "That is more than 1,000 miles. Please check the number.",
            "max_whole_digits": "That is more than 1,000 miles. Please check the number.",
        },
    )
    vehicle = forms.ChoiceField(
        label="Vehicle",
        required=False,
        choices=[("", "Choose one"), *ClaimItem.Vehicle.choices],
        error_messages={"invalid_choice": "Please choose the vehicle."},
    )
    from_postcode = PostcodeField(label="Postcode you travelled from")
    to_postcode = PostcodeField(label="Postcode you travelled to")
    # More than £0.00 and under the ceiling is the service's rule (with the card's ceiling).
    amount = MoneyField(
        label="Amount (£)",
        required=False,
        help_text="In pounds and pence, for example 4.50. Not needed for mileage: we work that out for you.",
    )
    note = forms.CharField(
        label="Note",
        max_length=300,
        required=False,
        help_text="Optional. Anything that helps, for example “bus both ways”.",
    )
    receipt = forms.FileField(
        label="Receipt",
        required=False,
        widget=forms.FileInput(attrs={"accept": RECEIPT_TYPES}),
        error_messages={
            "empty": "This file is empty. Please choose the photo or scan again.",
            "invalid": "This file could not be read. Please choose it again.",
            "missing": "This file could not be read. Please choose it again.",
        },
    )

    def __init__(self, *args: Any, session_day: datetime.date, receipt_kinds: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": session_day})
        super().__init__(*args, **kwargs)
        labels = [str(Kind(kind).label) for kind in Kind if kind in receipt_kinds]
        needs = f"You need one for: {', '.join(labels)}. " if labels else ""
        self.fields[
            "receipt"
        ].help_text = (
            f"{needs}A photo or a scan: PDF, JPEG or PNG, at most 10 MB. We remove location and camera details."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == Kind.MILEAGE:
            for name, message in (
                ("miles", "Please give the number of miles, more than 0."),
                ("vehicle", "Please choose the vehicle."),
                ("from_postcode", "Please give the postcode you travelled from."),
                ("to_postcode", "Please give the postcode you travelled to."),
            ):
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, message)
            cleaned["amount"] = None  # computed from the miles, never typed
        elif kind:
            if cleaned.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", "Please give the amount, for example 4.50.")
            cleaned.update(miles=None, vehicle="", from_postcode="", to_postcode="")
        return cleaned

    def item_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``services.add_item``."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "date": data["date"],
            "amount": data["amount"],
            "note": data["note"],
            "miles": data["miles"],
            "vehicle": data["vehicle"],
            "from_postcode": data["from_postcode"],
            "to_postcode": data["to_postcode"],
            "receipt_file": data["receipt"],
        }


FEE_HELP = {
    FeeChoice.TAKE: "You are paid the whole fee, as well as your expenses.",
    FeeChoice.REDUCED: "You choose a smaller amount, for example to stay within a benefits limit. Enter it below.",
    FeeChoice.DONATE: "The fee is not paid to you: it is recorded as your gift to your charity. "
    "Your expenses are still paid.",
    FeeChoice.DECLINE: "No fee is paid. Your expenses are still paid back in full.",
}


class FeeChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        label="What would you like to do with the fee?",
        choices=FeeChoice.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={
            "required": "Please choose what to do with the fee.",
            "invalid_choice": "Please choose what to do with the fee.",
        },
    )
    reduced_amount = MoneyField(
        what="the reduced amount",
        example="20.00",
        label="The reduced amount you would like (£)",
        required=False,
        help_text="Only if you chose a reduced amount. For example 20.00.",
    )

    @classmethod
    def initial_for(cls, claim: Claim) -> dict[str, Any]:
        reduced = claim.fee_requested if claim.fee_choice == FeeChoice.REDUCED else None
        return {"choice": claim.fee_choice, "reduced_amount": reduced}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("choice") == FeeChoice.REDUCED:
            if cleaned.get("reduced_amount") is None and "reduced_amount" not in self.errors:
                self.add_error("reduced_amount", "Please enter the reduced amount you would like, for example 20.00.")
        else:
            cleaned["reduced_amount"] = None
        return cleaned

    def choices_with_help(self) -> list[tuple[Any, str]]:
        """Each radio button with its plain explanation, for the template."""
        return [(radio, FEE_HELP[FeeChoice(radio.data["value"])]) for radio in self["choice"]]
