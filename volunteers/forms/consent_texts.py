"""The org admin's form for a new version of a consent purpose's wording."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.models import Organisation
from volunteers.models import ConsentText
from volunteers.permissions import consent_relying_choices


class ConsentTextForm(forms.Form):
    """Validates a new version; ``volunteers.services.publish_consent_text`` publishes it."""

    text = forms.CharField(
        label="Wording volunteers agree to",
        help_text="Plain words, addressed to the volunteer (“I agree that…”). Say what, who, and for how long.",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Please write the text volunteers will agree to."},
    )
    organisations = forms.ModelMultipleChoiceField(
        label="Organisations that rely on this consent",
        help_text=(
            "Volunteers see these names, so they know who will use what they agree to. You can name your "
            "organisation and the universities in partnership with it."
        ),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Please choose at least one organisation that relies on this consent."},
    )

    def __init__(self, *args: Any, network: Organisation, current: ConsentText | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        # Only the network and its partners: any other organisation is not a valid choice.
        field = cast(forms.ModelMultipleChoiceField, self.fields["organisations"])
        field.queryset = consent_relying_choices(network).order_by("name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        current = self.current
        if current is None or "text" not in cleaned or "organisations" not in cleaned:
            return cleaned
        same_text = cleaned["text"] == current.text
        same_organisations = {organisation.pk for organisation in cleaned["organisations"]} == {
            organisation.pk for organisation in current.organisations.all()
        }
        if same_text and same_organisations:
            self.add_error(
                "text",
                f"This is the same as version {current.version}. Change the wording or the organisations "
                "before publishing, or leave it as it is.",
            )
        return cleaned
