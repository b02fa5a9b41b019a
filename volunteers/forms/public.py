"""The public application form. It validates; ``volunteers.services.apply_to_network`` writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from accounts.models import User
from volunteers.forms.contact import ContactDetailsMixin, phone_field, postal_address_field
from volunteers.models import NetworkMembership, VolunteerProfile

STATEMENT_MIN = 20
STATEMENT_MAX = 2000


class ApplicationForm(ContactDetailsMixin, forms.Form):
    """Someone applying to join a network. A signed-in person applies with their own account:
    their email address (and their name, once they have one) is shown but cannot be changed here."""

    name = forms.CharField(
        label="Your full name",
        max_length=150,
        help_text="Written the way you write it. Any spelling, accents or alphabet are welcome.",
        error_messages={
            "required": "Please enter your name.",
            "max_length": "Please keep your name to 150 characters or fewer.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="We will use it to let you sign in and to get in touch.",
        error_messages={
            "required": "Please enter your email address.",
            "invalid": "Please enter an email address in the form name@example.org.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_channel = forms.ChoiceField(
        label="How would you like us to contact you?",
        choices=VolunteerProfile.ContactChannel.choices,
        initial=VolunteerProfile.ContactChannel.EMAIL,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose how you would like us to contact you."},
    )
    phone = phone_field()
    postal_address = postal_address_field()
    perspective = forms.ChoiceField(
        label="Which describes you best?",
        choices=VolunteerProfile.Perspective.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose the description that fits you best."},
    )
    statement = forms.CharField(
        label="Why would you like to be involved?",
        help_text=(
            "A few sentences are plenty: what you would like to share with students, or what you hope to get "
            f"from it. Between {STATEMENT_MIN} and {STATEMENT_MAX:,} characters."
        ),
        min_length=STATEMENT_MIN,
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Please tell us a little about why you would like to be involved.",
            "min_length": (
                f"Please write a little more: at least {STATEMENT_MIN} characters (you wrote %(show_value)d)."
            ),
            "max_length": f"Please shorten this to {STATEMENT_MAX:,} characters or fewer (you wrote %(show_value)d).",
        },
    )
    heard_about = forms.ChoiceField(
        label="How did you hear about us? (optional)",
        choices=[("", "Choose an answer (optional)"), *NetworkMembership.HeardAbout.choices],
        required=False,
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is None:
            return
        if self.is_bound:
            # The account's own address (and name) are used whatever the browser sends.
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data["email"] = user.email
            if user.name:
                data["name"] = user.name
            self.data = data
        email = self.fields["email"]
        email.initial = user.email
        email.widget.attrs["readonly"] = True
        email.help_text = "The email address of your account. You apply with the account you are signed in to."
        if user.name:
            name = self.fields["name"]
            name.initial = user.name
            name.widget.attrs["readonly"] = True
            name.help_text = "The name on your account. You can change it on your profile later."

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not any(character.isalpha() for character in name):
            raise forms.ValidationError("Please enter your name using letters.")
        return name
