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


class ClaimStepForm(forms.Form):
    """What the two item steps share: the date (the session's day to start with) and whether the
    page was left empty, so "Save and continue" with nothing typed goes on to the next step."""

    # The fields that, all left empty, mean nothing was typed (the date always has its day).
    typed_fields: tuple[str, ...] = ()

    date = forms.DateField(
        label="Date",
        widget=DATE_WIDGET,
        help_text="Usually the day of the session.",
        error_messages={
            "required": "Please enter the date, for example 17/03/2026.",
            "invalid": "Please enter a real date, for example 17/03/2026.",
        },
    )

    def __init__(self, *args: Any, session_day: datetime.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": session_day})
        super().__init__(*args, **kwargs)

    def left_empty(self) -> bool:
        """Nothing typed into the fields that make an item (only for a bound form)."""
        return not any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.typed_fields) and not any(
            self.files.get(self.add_prefix(name)) for name in self.typed_fields
        )


class JourneyForm(ClaimStepForm):
    """Step 1 of a claim, "Your journey": one journey by car, motorcycle or bicycle, from and to
    a postcode, with the miles one way and whether it was a return trip (the miles are then
    doubled). The amount is worked out by ``services.add_item`` from the miles."""

    typed_fields = ("from_postcode", "to_postcode", "miles", "vehicle", "note")

    from_postcode = PostcodeField(label="Postcode you travelled from")
    to_postcode = PostcodeField(label="Postcode you travelled to")
    miles = forms.DecimalField(
        label="Miles, one way",
        required=False,
        max_digits=7,
        decimal_places=1,
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
        help_text="For example 12.5.",
        error_messages={
            "invalid": "Please enter the number of miles, for example 12.5.",
            "max_decimal_places": "Please give the miles to one decimal place at most, for example 12.5.",
            "max_digits": "That is more than 1,000 miles. Please check the number.",
            "max_whole_digits": "That is more than 1,000 miles. Please check the number.",
        },
    )
    return_trip = forms.BooleanField(
        label="I came back the same way (a return trip)",
        required=False,
        help_text="We count the miles both ways.",
    )
    vehicle = forms.ChoiceField(
        label="Vehicle",
        required=False,
        choices=[("", "Choose one"), *ClaimItem.Vehicle.choices],
        error_messages={"invalid_choice": "Please choose the vehicle."},
    )
    note = forms.CharField(
        label="Note",
        max_length=300,
        required=False,
        help_text="Optional. Anything that helps, for example “via the hospital car park”.",
    )
    field_order = ["date", "from_postcode", "to_postcode", "miles", "return_trip", "vehicle", "note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in (
            ("from_postcode", "Please give the postcode you travelled from."),
            ("to_postcode", "Please give the postcode you travelled to."),
            ("miles", "Please give the number of miles, more than 0."),
            ("vehicle", "Please choose the vehicle."),
        ):
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def item_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``services.add_item``: a mileage item, the miles both ways for a
        return trip."""
        data = self.cleaned_data
        return {
            "kind": Kind.MILEAGE,
            "date": data["date"],
            "miles": data["miles"] * 2 if data["return_trip"] else data["miles"],
            "vehicle": data["vehicle"],
            "from_postcode": data["from_postcode"],
            "to_postcode": data["to_postcode"],
            "note": data["note"],
        }


class CostForm(ClaimStepForm):
    """Step 2 of a claim, "Other costs": one cost that is not mileage, with its amount, a
    description and the receipt. ``receipt_kinds`` names the kinds that need a receipt."""

    typed_fields = ("kind", "amount", "note", "receipt")

    kind = forms.ChoiceField(
        label="What was it for?",
        choices=[("", "Choose one"), *((value, label) for value, label in Kind.choices if value != Kind.MILEAGE)],
        error_messages={
            "required": "Please choose what the cost was for.",
            "invalid_choice": "Please choose what the cost was for.",
        },
    )
    # More than £0.00 and under the ceiling is the service's rule (with the card's ceiling).
    amount = MoneyField(
        label="Amount (£)",
        error_messages={"required": "Please give the amount, for example 4.50."},
        help_text="In pounds and pence, for example 4.50.",
    )
    note = forms.CharField(
        label="Description",
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
    field_order = ["kind", "date", "amount", "note", "receipt"]

    def __init__(self, *args: Any, session_day: datetime.date, receipt_kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, session_day=session_day, **kwargs)
        labels = [str(Kind(kind).label) for kind in Kind if kind in receipt_kinds]
        needs = f"You need one for: {', '.join(labels)}. " if labels else ""
        self.fields[
            "receipt"
        ].help_text = (
            f"{needs}A photo or a scan: PDF, JPEG or PNG, at most 10 MB. We remove location and camera details."
        )

    def item_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``services.add_item``."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "date": data["date"],
            "amount": data["amount"],
            "note": data["note"],
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
