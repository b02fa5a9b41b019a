"""Form fields every app shares."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

PENNY = Decimal("0.01")


class MoneyField(forms.DecimalField):
    """An amount in pounds typed as text: "£1,234.50", "1234.5" and "600" read as Decimal("1234.50"),
    Decimal("1234.50") and Decimal("600.00"); never a float. ``what`` names the amount in the
    messages ("the fee") and ``example`` shows one typed the usual way ("25.00"); ``least`` is the
    smallest amount accepted (None: any)."""

    def __init__(
        self,
        *,
        what: str = "the amount",
        example: str = "4.50",
        least: Decimal | None = None,
        above_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        if above_zero:
            least = PENNY
        too_large = f"Please check {what}: it is far more than it could be."
        messages = {
            "required": f"Please enter {what} in pounds and pence, for example {example}.",
            "invalid": f"Please enter {what} in pounds and pence, for example {example}.",
            "max_decimal_places": f"Please give {what} in pounds and pence, with at most two decimal places.",
            "max_digits": too_large,
            "max_whole_digits": too_large,
            "min_value": (
                f"{what[0].upper()}{what[1:]} must be more than £0.00."
                if least == PENNY
                else f"{what[0].upper()}{what[1:]} must be £{least or 0:.2f} or more."
            ),
        }
        messages.update(kwargs.pop("error_messages", {}))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(max_digits=10, decimal_places=2, min_value=least, error_messages=messages, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # the stubs give IntegerField's type
        if isinstance(value, str):
            value = value.strip().removeprefix("£").replace(",", "").strip()
        return super().to_python(value)

    def clean(self, value: Any) -> Decimal | None:
        """Checked to have pence at most, so "600" becomes exactly Decimal("600.00")."""
        amount = super().clean(value)
        return None if amount is None else amount.quantize(PENNY)
