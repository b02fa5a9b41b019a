"""Forms for the volunteer's own pages. They validate; the views pass ``cleaned_data`` to the services."""

from __future__ import annotations

from typing import Any

from django import forms

from involvement.widgets import DateInput
from volunteers.forms.contact import ContactDetailsMixin, phone_field, postal_address_field
from volunteers.models import ExperienceTag, PartOfDay, TimeAway, VolunteerProfile, Weekday

Profile = VolunteerProfile

PAYMENT_HELP = (
    "Payments for taking part can affect some benefits, such as Universal Credit or Employment and Support "
    "Allowance. Paying back your expenses (travel, for example) usually does not. If you receive benefits, "
    "you might choose “My expenses only, no fee”. A benefits adviser, such as Citizens Advice, can help you "
    "decide. You can change this at any time."
)


def _range_messages(low: int, high: int, unit: str) -> dict[str, str]:
    message = f"Please enter a number of {unit} from {low} to {high}, or leave it blank."
    return {"min_value": message, "max_value": message, "invalid": message}


def _text(label: str, max_length: int, *, textarea: bool = False, **kwargs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3}) if textarea else forms.TextInput
    return forms.CharField(label=label, max_length=max_length, required=False, widget=widget, **kwargs)


class ExperienceField(forms.ModelMultipleChoiceField):
    """Tags labelled by name, and by network too when the volunteer belongs to several."""

    show_network = False

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.network})" if self.show_network else obj.name


class ProfileForm(ContactDetailsMixin, forms.Form):
    name = forms.CharField(
        label="Your full name",
        max_length=150,
        error_messages={"required": "Please enter your name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    preferred_name = _text(
        "What you would like us to call you",
        100,
        help_text="Leave this blank to be called by your full name.",
    )
    pronouns = _text("Your pronouns", 40, help_text="For example she/her, he/him or they/them. Optional.")
    contact_channel = forms.ChoiceField(
        label="How would you like us to contact you?", choices=Profile.ContactChannel.choices, widget=forms.RadioSelect
    )
    phone = phone_field()
    postal_address = postal_address_field()
    perspective = forms.ChoiceField(
        label="Which describes you best?", choices=Profile.Perspective.choices, widget=forms.RadioSelect
    )
    experience_tags = ExperienceField(
        label="Your experience",
        queryset=ExperienceTag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="This helps us invite you to sessions that suit you. Only you and your network's lead "
        "see it, and university staff when they look for volunteers.",
    )
    biography = _text(
        "A short introduction about you",
        1000,
        textarea=True,
        help_text="Shared with the university staff who arrange sessions. At most 1000 characters.",
    )
    topics_to_avoid = _text(
        "Topics you would rather not talk about",
        1000,
        textarea=True,
        help_text="We will make sure sessions respect this. At most 1000 characters.",
    )
    support_contact_name = _text("Name of someone we can contact to support you", 150)
    support_contact_details = _text("How to reach them", 200, help_text="A phone number or an email address.")
    payment_preference = forms.ChoiceField(
        label="How would you like to be paid for taking part?",
        choices=Profile.PaymentPreference.choices,
        widget=forms.RadioSelect,
        help_text=PAYMENT_HELP,
    )
    payment_preference_reason = _text(
        "Anything you would like us to know about this choice",
        500,
        textarea=True,
        help_text="Optional. Only you and your network's lead see this.",
    )
    naming_preference = forms.ChoiceField(
        label="How should we name you in teaching materials?", choices=Profile.Naming.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, profile: VolunteerProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        networks = list(profile.memberships.values_list("network_id", flat=True))
        tags = ExperienceTag.objects.filter(network_id__in=networks).select_related("network")
        if not tags.exists():
            # Nothing to choose from: no empty group of checkboxes (nor an error with nowhere to show).
            del self.fields["experience_tags"]
            return
        field = self.fields["experience_tags"]
        assert isinstance(field, ExperienceField)  # narrows the type for mypy
        field.queryset = tags.order_by("network__name", "name")
        field.show_network = len(networks) > 1

    @classmethod
    def initial_for(cls, profile: VolunteerProfile) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(profile, name) for name in cls.base_fields if name != "name"}
        initial["name"] = profile.user.name
        initial["experience_tags"] = list(profile.experience_tags.all())
        return initial

    def changes(self) -> dict[str, Any]:
        """The profile fields to save (everything but the account name)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "name"}


class AdjustmentsForm(forms.Form):
    step_free_access = forms.BooleanField(label="I need step-free access", required=False)
    parking = forms.BooleanField(label="I need a parking space close to the entrance", required=False)
    interpreter = forms.ChoiceField(
        label="Do you need an interpreter?",
        choices=Profile.Interpreter.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    interpreter_language = _text(
        "Which spoken language?", 60, help_text="Only needed for a spoken-language interpreter."
    )
    hearing_loop = forms.BooleanField(label="I use a hearing loop", required=False)
    large_print = forms.BooleanField(label="I need large print materials", required=False)
    easy_read = forms.BooleanField(label="I need easy read materials", required=False)
    companion_attending = forms.BooleanField(label="A companion or carer comes with me", required=False)
    rest_breaks = forms.BooleanField(label="I need rest breaks", required=False)
    dietary_needs = _text("Dietary needs", 200, help_text="For example vegetarian, gluten-free or a soft diet.")
    longest_session_minutes = forms.IntegerField(
        label="The longest session you can comfortably take part in, in minutes",
        required=False,
        min_value=15,
        max_value=600,
        error_messages=_range_messages(15, 600, "minutes"),
        help_text="For example 90 for an hour and a half. Leave blank if it does not matter.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    attendance_mode = forms.ChoiceField(
        label="How would you like to take part?", choices=Profile.AttendanceMode.choices, widget=forms.RadioSelect
    )
    other_adjustments = _text(
        "Anything else that would help you take part", 1000, textarea=True, help_text="At most 1000 characters."
    )

    @classmethod
    def initial_for(cls, profile: VolunteerProfile) -> dict[str, Any]:
        return {name: getattr(profile, name) for name in cls.base_fields}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("interpreter") == Profile.Interpreter.SPOKEN and not cleaned.get("interpreter_language"):
            self.add_error("interpreter_language", "Please tell us which language you need an interpreter for.")
        if cleaned.get("interpreter") != Profile.Interpreter.SPOKEN:
            cleaned["interpreter_language"] = ""
        return cleaned


SLOT_CHOICES = [
    (f"{day.value}-{part.value}", f"{day.label} {part.label.lower()}") for day in Weekday for part in PartOfDay
]


class AvailabilityForm(forms.Form):
    slots = forms.MultipleChoiceField(
        label="When you are usually free", choices=SLOT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    monthly_session_cap = forms.IntegerField(
        label="The most sessions you would like in a month",
        required=False,
        min_value=1,
        max_value=31,
        error_messages=_range_messages(1, 31, "sessions"),
        help_text="Leave blank for no limit.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    travel_miles = forms.IntegerField(
        label="How far you will travel, in miles",
        required=False,
        min_value=0,
        max_value=500,
        error_messages=_range_messages(0, 500, "miles"),
        help_text="Leave blank if it does not matter. Enter 0 if you can only take part online.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    @classmethod
    def initial_for(cls, profile: VolunteerProfile) -> dict[str, Any]:
        return {
            "slots": [f"{slot.weekday}-{slot.part_of_day}" for slot in profile.weekly_availability.all()],
            "monthly_session_cap": profile.monthly_session_cap,
            "travel_miles": profile.travel_miles,
        }

    def grid(self) -> list[tuple[str, list[Any]]]:
        """Each weekday with its morning, afternoon and evening checkboxes, for the table."""
        widgets = list(self["slots"])
        parts = len(PartOfDay.choices)
        return [(day.label, widgets[index * parts : (index + 1) * parts]) for index, day in enumerate(Weekday)]

    def chosen_slots(self) -> list[tuple[int, str]]:
        return [(int(day), part) for day, part in (value.split("-", 1) for value in self.cleaned_data["slots"])]

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("monthly_session_cap", "travel_miles")}


DATE_ERRORS = {"invalid": "Please enter a real date, for example 27/03/2026."}


class TimeAwayForm(forms.Form):
    starts_on = forms.DateField(
        label="First day away",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Please enter the first day you are away."},
    )
    ends_on = forms.DateField(
        label="Last day away",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Please enter the last day you are away."},
    )
    note = forms.CharField(
        label="Note", max_length=120, required=False, help_text=TimeAway._meta.get_field("note").help_text
    )


class PauseForm(forms.Form):
    until = forms.DateField(
        label="The day you would like to come back",
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
        help_text="Optional. On this day you become active again. Leave blank to come back when you choose.",
    )


class ConsentChangeForm(forms.Form):
    """Agree to a network's wording (``text`` names it) or withdraw from one network (``network``
    names it by its slug): a volunteer answers each network separately."""

    action = forms.ChoiceField(choices=[("grant", "I agree"), ("withdraw", "Withdraw my consent")])
    text = forms.IntegerField(required=False, min_value=1)
    network = forms.SlugField(required=False)
    # Sent from the page that says what a withdrawal would change (a place on a session, say).
    confirmed = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "grant" and not cleaned.get("text"):
            raise forms.ValidationError("Please read the wording below and choose again.")
        if cleaned.get("action") == "withdraw" and not cleaned.get("network"):
            raise forms.ValidationError("Please read the wording below and choose again.")
        return cleaned
