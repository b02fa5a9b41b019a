"""Forms for a coordinator's booking pages: the matching filters, the invitation checkboxes, a
message to those accepted, cancelling a booking and the attendance register. They validate input
and never write: the views pass ``cleaned_data`` to ``sessions_app.services``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.datastructures import MultiValueDict

from accounts.models import Partnership
from sessions_app import matching
from sessions_app.models import Booking, TeachingSession
from volunteers.models import ExperienceTag, VolunteerProfile

NOT_INVITABLE = (
    "Nobody was invited: some of the people ticked can no longer be invited to this session. They may "
    "have been paused, become busy, or already been invited. Please choose again from the list below."
)


class TagChoiceField(forms.ModelMultipleChoiceField):
    """Experience tags, named with their network when several networks' lists are offered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.several_networks = False

    def label_from_instance(self, obj: Any) -> str:
        tag = cast(ExperienceTag, obj)
        return f"{tag.name} ({tag.network.name})" if self.several_networks else tag.name


class MatchingFilterForm(forms.Form):
    """The filters above the suggestions (a GET form: its values are tag ids and a perspective)."""

    tags = TagChoiceField(
        label="Experience (they have all that are ticked)",
        queryset=ExperienceTag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    perspective = forms.ChoiceField(
        label="Perspective", required=False, choices=[("", "Any perspective"), *VolunteerProfile.Perspective.choices]
    )

    def __init__(self, *args: Any, session: TeachingSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partnered = Partnership.objects.active().filter(university=session.university).values("network_id")
        tags = list(
            ExperienceTag.objects.filter(network__in=partnered)
            .select_related("network")
            .order_by("name", "network__name")
        )
        field = cast(TagChoiceField, self.fields["tags"])
        field.queryset = ExperienceTag.objects.filter(pk__in=[tag.pk for tag in tags]).select_related("network")
        field.several_networks = len({tag.network_id for tag in tags}) > 1
        # The choices come from the list already read, so rendering costs no further query.
        field.choices = [(tag.pk, field.label_from_instance(tag)) for tag in tags]

    def filters(self) -> tuple[list[int], str]:
        """The tag ids and perspective asked for; none at all when any value is not valid."""
        if not self.is_bound or not self.is_valid():
            return [], ""
        return [tag.pk for tag in self.cleaned_data["tags"]], self.cleaned_data["perspective"]


class InviteForm(forms.Form):
    """The ticked volunteers, looked up among the session's current candidates only: a paused
    volunteer, one from a network that is not a partner, or an unknown id is refused."""

    volunteers = forms.ModelMultipleChoiceField(
        queryset=VolunteerProfile.objects.none(),
        error_messages={
            "required": "Please tick at least one volunteer to invite.",
            "invalid_choice": NOT_INVITABLE,
            "invalid_pk_value": NOT_INVITABLE,
            "invalid_list": NOT_INVITABLE,
        },
    )

    def __init__(self, *args: Any, session: TeachingSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # Building the candidates costs queries, so only a posted form asks for them.
            field = cast(forms.ModelMultipleChoiceField, self.fields["volunteers"])
            field.queryset = matching.candidates(session)

    def ticked(self) -> set[int]:
        """The ids ticked, to tick them again when the page is shown with an error."""
        if not isinstance(self.data, MultiValueDict):
            return set()
        return {int(value) for value in self.data.getlist("volunteers") if str(value).isdigit()}


class MessageForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=150)
    message = forms.CharField(label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 8}))


class BookingCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="We include this in the email to the volunteer.",
    )


ATTENDANCE_CHOICES = [(Booking.Status.ATTENDED.value, "Attended"), (Booking.Status.NO_SHOW.value, "Did not attend")]


class AttendanceForm(forms.Form):
    """One "Attended" / "Did not attend" question for each accepted booking."""

    def __init__(self, *args: Any, bookings: Iterable[Booking], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bookings = list(bookings)
        for booking in self.bookings:
            name = booking.volunteer.display_name
            self.fields[self.field_name(booking)] = forms.ChoiceField(
                label=name,
                choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={
                    "required": f"Please choose whether {name} attended.",
                    "invalid_choice": f"Please choose whether {name} attended.",
                },
            )

    @staticmethod
    def field_name(booking: Booking) -> str:
        return f"booking_{booking.pk}"

    def outcomes(self) -> dict[int, str]:
        """Each booking's id with the answer given (call after ``is_valid``)."""
        return {booking.pk: self.cleaned_data[self.field_name(booking)] for booking in self.bookings}
