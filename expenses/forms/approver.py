"""Forms for the approvers' pages: a decision on a claim (approve, reject with a reason, return
with a note), and the arrangements for a booking (a taxi agreed in advance, costs the university
paid). They validate input and never write: the views pass ``cleaned_data`` to
``expenses.services``."""

from __future__ import annotations

from django import forms

from involvement.forms import MoneyField

AMOUNT_HELP = "In pounds and pence, for example 24.50."


class ConfirmForm(forms.Form):
    """A decision with nothing to fill in (approving, entering a paper claim)."""


class ApproveForm(forms.Form):
    """Approving: with the reason for going over budget, which the pages show (and the service
    asks for) only when approving takes the programme past its budget for the year."""

    over_budget_reason = forms.CharField(
        label="Reason for going over budget",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with your approval in the audit trail, for finance. The volunteer does not see it.",
    )


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
    amount = MoneyField(label="Amount paid", help_text=AMOUNT_HELP, above_zero=True, example="24.50")
