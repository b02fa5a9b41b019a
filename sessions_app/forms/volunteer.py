"""Forms for the volunteer's side of sessions. They validate; the views call the services."""

from __future__ import annotations

from django import forms

from sessions_app.models import CheckIn

ACCEPT = "accept"
DECLINE = "decline"


class InvitationAnswerForm(forms.Form):
    """Which of the two buttons on an invitation was pressed."""

    answer = forms.ChoiceField(
        choices=[(ACCEPT, "Yes, I'll come"), (DECLINE, "No, not this time")],
        error_messages={
            "required": "Please choose “Yes, I'll come” or “No, not this time”.",
            "invalid_choice": "Please choose “Yes, I'll come” or “No, not this time”.",
        },
    )


class PlaceCancelForm(forms.Form):
    reason = forms.CharField(
        label="Would you like to tell us why? (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The coordinator will read this. You do not have to give a reason.",
    )


class CheckInForm(forms.Form):
    answer = forms.ChoiceField(
        label="How are you after the session?",
        choices=CheckIn.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose one of the answers.",
            "invalid_choice": "Please choose one of the answers.",
        },
    )
