"""Forms for a lead's network pages. They validate input and never write: the views pass
``cleaned_data`` to ``volunteers.services``, which enforces the rules again."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import Organisation
from involvement.widgets import DateInput
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    PartOfDay,
    VolunteerProfile,
    Weekday,
)
from volunteers.selectors import NetworkFilters

DATE_WIDGET = DateInput()
ERASE_WORD = "ERASE"
PAUSED_CHOICES = [("", "Paused or not"), ("yes", "Paused only"), ("no", "Not paused")]


class NetworkFilterForm(forms.Form):
    """The filters above a lead's list of volunteers (posted, then kept in the session)."""

    q = forms.CharField(label="Name or email", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *NetworkMembership.Status.choices]
    )
    perspective = forms.ChoiceField(
        label="Perspective", required=False, choices=[("", "Any perspective"), *VolunteerProfile.Perspective.choices]
    )
    tags = forms.ModelMultipleChoiceField(
        label="Experience (they have all that are ticked)",
        queryset=ExperienceTag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    weekday = forms.TypedChoiceField(
        label="Usually free on",
        required=False,
        choices=[("", "Any day"), *Weekday.choices],
        coerce=int,
        empty_value=None,
    )
    part_of_day = forms.ChoiceField(
        label="Part of the day", required=False, choices=[("", "Any part of the day"), *PartOfDay.choices]
    )
    paused = forms.ChoiceField(label="Paused", required=False, choices=PAUSED_CHOICES)
    expiring = forms.BooleanField(label="Only those with a check expiring within 30 days", required=False)

    def __init__(self, *args: Any, network: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tags = cast(forms.ModelMultipleChoiceField, self.fields["tags"])
        tags.queryset = ExperienceTag.objects.filter(network=network).order_by("name")

    def filters(self) -> NetworkFilters:
        """The filters asked for; none at all when any value is not valid (the list shows everyone)."""
        if not self.is_valid():
            return NetworkFilters()
        data = self.cleaned_data
        return NetworkFilters(
            search=data["q"].strip(),
            status=data["status"],
            perspective=data["perspective"],
            tag_ids=tuple(tag.pk for tag in data["tags"]),
            weekday=data["weekday"],
            part_of_day=data["part_of_day"],
            paused={"yes": True, "no": False}.get(data["paused"]),
            checks_expiring=data["expiring"],
        )


class AcceptForm(forms.Form):
    message = forms.CharField(
        label="A message for them (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="We add it to the welcome email.",
    )


class DeclineForm(forms.Form):
    message = forms.CharField(
        label="Your message to them",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="We email it to them. Please be kind and, if you can, say what else they could do.",
        error_messages={"required": "Please write a short message to the applicant explaining the decision."},
    )


class LeadPauseForm(forms.Form):
    until = forms.DateField(
        label="Return date (optional)",
        required=False,
        widget=DATE_WIDGET,
        help_text="They become active again on this date. Leave it empty if you do not know yet.",
    )


class ConfirmForm(forms.Form):
    """A confirmation with nothing to fill in."""


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label=f"Type {ERASE_WORD} to confirm",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": f"Please type {ERASE_WORD} to confirm."},
    )

    def clean_confirm(self) -> str:
        confirm: str = self.cleaned_data["confirm"].strip()
        if confirm != ERASE_WORD:
            raise forms.ValidationError(f"Please type {ERASE_WORD} in capital letters to confirm.")
        return confirm


class OnboardingCheckForm(forms.Form):
    kind = forms.ChoiceField(label="What it is", choices=OnboardingCheck.Kind.choices, widget=forms.RadioSelect)
    name = forms.CharField(
        label="Name of the check",
        required=False,
        max_length=120,
        help_text="Needed for a role-specific check, for example “DBS check”.",
    )
    completed_on = forms.DateField(
        label="Completed on", required=False, widget=DATE_WIDGET, help_text="Leave it empty if it is not done yet."
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=DATE_WIDGET,
        help_text="We remind you 30 days before.",
    )

    def clean(self) -> dict[str, Any]:
        """Point each problem at its field; the service checks the same rules again."""
        cleaned: dict[str, Any] = super().clean() or {}
        completed: datetime.date | None = cleaned.get("completed_on")
        expires: datetime.date | None = cleaned.get("expires_on")
        if cleaned.get("kind") == OnboardingCheck.Kind.ROLE_CHECK and not cleaned.get("name", "").strip():
            self.add_error("name", "Please name the check, for example “DBS check”.")
        if completed and completed > timezone.localdate():
            self.add_error("completed_on", "The date it was completed cannot be in the future.")
        elif completed and expires and expires <= completed:
            self.add_error("expires_on", "The expiry date must be after the date it was completed.")
        return cleaned


class ConsentRecordForm(forms.Form):
    """A paper or verbal consent, recorded by staff on the volunteer's behalf."""

    purpose = forms.ModelChoiceField(
        label="What the consent is for",
        queryset=ConsentPurpose.objects.none(),
        to_field_name="code",
        empty_label="Choose…",
    )
    action = forms.ChoiceField(
        label="Their answer",
        choices=[
            (ConsentRecord.Action.GRANTED, "They gave consent to the current wording"),
            (ConsentRecord.Action.WITHDRAWN, "They withdrew consent"),
        ],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label="How they told you",
        choices=[
            (ConsentRecord.Method.PAPER, "On a paper form"),
            (ConsentRecord.Method.VERBAL, "Verbally, to you"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=200,
        help_text="For example “consent form dated 3 May”. Please do not write health details here.",
    )
    # Set once the lead has seen what a withdrawal will change (places on sessions that need it).
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, network: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the purposes this network has worded: its volunteers answer its wording, no other.
        purposes = ConsentPurpose.objects.filter(texts__network=network).distinct().order_by("order", "name")
        cast(forms.ModelChoiceField, self.fields["purpose"]).queryset = purposes


class ExperienceTagForm(forms.Form):
    name = forms.CharField(
        label="Experience",
        max_length=80,
        help_text="For example “secondary breast cancer” or “carer of a partner”.",
        error_messages={"required": "Please enter the experience, for example “secondary breast cancer”."},
    )
