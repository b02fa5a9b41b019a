"""Forms for finance: a new rate card, the university a payment run is for, a payee reference, the
finance settings and a programme's cost codes. They validate and never write: the views pass
``cleaned_data`` to ``expenses.services``, which checks the rules again.

Amounts are text inputs with ``inputmode="decimal"``, read as ``Decimal`` pounds and pence.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Organisation
from expenses.models import ClaimItem, FeeRate, FinanceSettings, PayRoute, RateCard
from expenses.rates import receipt_kinds
from involvement import formatting
from involvement.forms import MoneyField
from involvement.widgets import DateInput
from sessions_app.models import TeachingSession

Kind = TeachingSession.Kind
# A receipt is never asked for mileage: its amount is computed from the miles.
RECEIPT_KINDS = [(kind.value, kind.label) for kind in ClaimItem.Kind if kind != ClaimItem.Kind.MILEAGE]
DATE_WIDGET = DateInput()
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
                f"{organisation} already has a rate card starting on {formatting.day(day)}. Please choose another day.",
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


class RunPreviewForm(forms.Form):
    """Which university's next payment run to preview (one of those where the user does finance)."""

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


class PayeeReferenceForm(forms.Form):
    """A volunteer's payee reference. Its format is checked by the service (``expenses.codes``),
    which says what is wrong by the field."""

    reference = forms.CharField(
        label="Payee reference",
        strip=False,
        help_text="Their supplier or payroll number in the university’s finance system, exactly as it shows it: "
        "letters, digits and - / _ . only, no spaces, at most 30 characters. Never bank details.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
        error_messages={
            "required": "Please enter the volunteer’s payee reference from the university’s finance system."
        },
    )


ROUTE_CHOICES = [
    (PayRoute.PAYROLL.value, "Payroll: paid with the university’s pay runs"),
    (PayRoute.ACCOUNTS_PAYABLE.value, "Accounts payable: paid by bank transfer as a supplier"),
]


class FinanceSettingsForm(forms.Form):
    """How a university pays. The service checks the rules again (a route cannot change while a
    run is in progress)."""

    fee_route = forms.ChoiceField(
        label="Involvement fees are paid through",
        choices=ROUTE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose how fees are paid.",
            "invalid_choice": "Please choose payroll or accounts payable.",
        },
    )
    expenses_route = forms.ChoiceField(
        label="Expenses are paid through",
        choices=ROUTE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose how expenses are paid.",
            "invalid_choice": "Please choose payroll or accounts payable.",
        },
    )
    payee_form_url = forms.CharField(
        label="Address of the payee form (optional)",
        required=False,
        help_text="The page where a volunteer finds the university’s payee (supplier or payroll) form, starting "
        "https://. Volunteers are sent it once, when their first claim is approved. Without one, they are told "
        "finance will contact them.",
        widget=forms.URLInput(attrs={"autocomplete": "url", "inputmode": "url"}),
    )
    payment_target_days = whole_number(
        "Days to pay a claim",
        1,
        365,
        "days",
        help_text="From a claim being sent to its payment. Claims taking longer are flagged in the claims queue.",
    )

    @staticmethod
    def initial_from(settings: FinanceSettings) -> dict[str, Any]:
        return {
            "fee_route": settings.fee_route,
            "expenses_route": settings.expenses_route,
            "payee_form_url": settings.payee_form_url,
            "payment_target_days": settings.payment_target_days,
        }


class CostCodesForm(forms.Form):
    """A programme's cost centre and nominal code. Their formats are checked by the service
    (``expenses.codes``), which says what is wrong by the field."""

    cost_centre = forms.CharField(
        label="Cost centre",
        required=False,
        help_text="2 to 12 letters, digits and hyphens, for example RAD-4410. Leave it blank if there is none yet.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    nominal_code = forms.CharField(
        label="Nominal code",
        required=False,
        help_text="4 to 8 digits, for example 5120. Leave it blank if there is none yet.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
