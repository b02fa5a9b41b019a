"""The form for a programme's budget for an academic year. It validates and never writes: the
view passes ``cleaned_data`` to ``expenses.services.set_budget``, which checks the rules again."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from involvement.forms import MoneyField


class BudgetForm(forms.Form):
    amount = MoneyField(
        label="Budget for fees and expenses (£)",
        what="the budget",
        example="2500.00",
        least=Decimal("0"),
        help_text="In pounds and pence, for example 2500.00. Enter 0.00 for no money this year.",
        error_messages={"min_value": "A budget cannot be negative. Enter 0.00 for no money this year."},
    )
