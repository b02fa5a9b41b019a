"""Forms for finance: a new rate card, and the university a payment run is for. They validate and
never write: the views pass ``cleaned_data`` to ``expenses.services``, which checks the rules again.

Amounts are text inputs with ``inputmode="decimal"``, read as ``Decimal`` pounds and pence.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Organisation
from expenses.models import ClaimItem, FeeRate, RateCard
from expenses.rates import receipt_kinds
from involvement.forms import MoneyField
from sessions_app.models import TeachingSession

Kind = TeachingSession.Kind
# A receipt is never asked for mileage: its amount is computed from the miles.
RECEIPT_KINDS = [(kind.value, kind.label) for kind in ClaimItem.Kind if kind != ClaimItem.Kind.MILEAGE]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CARD_FIELDS = (
    "effective_from",
    "car_rate",
    "car_threshold_miles",
    "car_rate_after_threshold",
    "motorcycle_rate",
    "bicycle_rate",
    "subsistence_cap",
    "receipts_required_for",
    "claim_window_months",
    "item_ceiling",
    "approval_target_days",
)


def money_field(
    label: str,
    *,
    what: str,
    example: str = "0.45",
    required: bool = True,
    above_zero: bool = False,
    help_text: str = "",
) -> MoneyField:
    """Pounds and pence, 0 or more (more than 0 with ``above_zero``): ``what`` names it in the
    messages ("the rate", "the fee"), ``example`` is one typed the usual way (a rate per mile)."""
    return MoneyField(
        label=label,
        what=what,
        example=example,
        required=required,
        least=Decimal("0"),
        above_zero=above_zero,
        help_text=help_text,
    )


def whole_number(label: str, least: int, most: int, unit: str, *, help_text: str = "") -> forms.IntegerField:
    message = f"Please enter a number of {unit} from {least:,} to {most:,}."
    return forms.IntegerField(
        label=label,
        min_value=least,
        max_value=most,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": message, "invalid": message, "min_value": message, "max_value": message},
    )


def fee_field_names(kind: str) -> tuple[str, str]:
    """The names of the amount and basis fields of the fee for one kind of session."""
    return f"fee_{kind}", f"basis_{kind}"


class RateCardForm(forms.Form):
    """A rate card with its fee per kind of session. ``universities`` are those where the user
    may set rates; the card's organisation is chosen among them."""

    organisation = forms.ModelChoiceField(
        label="University",
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Please choose one of your universities."},
    )
    effective_from = forms.DateField(
        label="The rates apply to sessions from",
        widget=DATE_WIDGET,
        help_text="Claims for earlier sessions keep the rates that applied then.",
        error_messages={
            "required": "Please enter the day the rates start, for example 06/04/2027.",
            "invalid": "Please enter a real date, for example 06/04/2027.",
        },
    )
    car_rate = money_field(
        "Car or van, per mile (£)",
        what="the rate",
        help_text="For the first miles of each volunteer’s tax year, up to the threshold.",
    )
    car_threshold_miles = whole_number(
        "Threshold: miles at the car rate, per volunteer per tax year",
        0,
        100_000,
        "miles",
        help_text="HMRC’s approved rate is 45p a mile for the first 10,000 miles.",
    )
    car_rate_after_threshold = money_field("Car or van after the threshold, per mile (£)", what="the rate")
    motorcycle_rate = money_field("Motorcycle, per mile (£)", what="the rate")
    bicycle_rate = money_field("Bicycle, per mile (£)", what="the rate")
    subsistence_cap = money_field(
        "Food and drink: the most for one session (£)", what="the most for food and drink", example="15.00"
    )
    receipts_required_for = forms.MultipleChoiceField(
        label="Expenses that need a receipt",
        choices=RECEIPT_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    claim_window_months = whole_number(
        "Months a volunteer has to claim after a session", 1, 24, "months", help_text="3 months is usual."
    )
    item_ceiling = money_field(
        "Ceiling: the most a single expense may be (£)",
        what="the ceiling",
        example="500.00",
        above_zero=True,
        help_text="A larger amount is refused as a likely mistake.",
    )
    approval_target_days = whole_number(
        "Days to decide on a claim",
        1,
        90,
        "days",
        help_text="Claims waiting longer are shown as overdue in the claims queue.",
    )

    def __init__(self, *args: Any, universities: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = universities  # type: ignore[attr-defined]  # a ModelChoiceField
        for kind in Kind:
            amount_name, basis_name = fee_field_names(kind.value)
            what = kind.label[0].lower() + kind.label[1:]  # "assessment or OSCE"
            self.fields[amount_name] = money_field(
                f"Fee for {what} (£)", what="the fee", example="25.00", required=False
            )
            self.fields[basis_name] = forms.ChoiceField(
                label=f"Fee for {what} is paid",
                choices=FeeRate.Basis.choices,
                initial=FeeRate.Basis.PER_HOUR,
            )

    @staticmethod
    def initial_from(card: RateCard | None) -> dict[str, Any]:
        """The fields of ``card`` (the latest one) to start from: usually only a few rates change."""
        if card is None:
            return {"receipts_required_for": receipt_kinds(None)}
        initial: dict[str, Any] = {name: getattr(card, name) for name in CARD_FIELDS if name != "effective_from"}
        initial["organisation"] = card.organisation_id
        for rate in card.fee_rates.all():
            amount_name, basis_name = fee_field_names(rate.kind)
            initial[amount_name], initial[basis_name] = rate.amount, rate.basis
        return initial

    def fee_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """Each kind of session with its amount and basis fields, for the fees table."""
        rows = []
        for kind in Kind:
            amount_name, basis_name = fee_field_names(kind.value)
            rows.append((kind.label, self[amount_name], self[basis_name]))
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        organisation: Organisation | None = cleaned.get("organisation")
        day: datetime.date | None = cleaned.get("effective_from")
        if organisation and day and RateCard.objects.filter(organisation=organisation, effective_from=day).exists():
            self.add_error(
                "effective_from",
                f"{organisation} already has a rate card starting on {day:%-d %B %Y}. Please choose another day.",
            )
        return cleaned

    def card_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CARD_FIELDS}

    def fees(self) -> dict[str, tuple[str, Decimal]]:
        """``{kind: (basis, amount)}`` for the kinds of session with a fee."""
        fees = {}
        for kind in Kind:
            amount_name, basis_name = fee_field_names(kind.value)
            amount = self.cleaned_data.get(amount_name)
            if amount is not None:
                fees[kind.value] = (self.cleaned_data[basis_name], amount)
        return fees


class RunStartForm(forms.Form):
    """Which university's approved claims to pay (one of those where the user does finance)."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        error_messages={
            "required": "Please choose the university to pay claims for.",
            "invalid_choice": "Please choose one of your universities.",
        },
    )

    def __init__(self, *args: Any, universities: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = universities  # type: ignore[attr-defined]  # a ModelChoiceField
