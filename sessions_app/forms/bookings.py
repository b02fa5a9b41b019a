"""Forms for a coordinator's booking pages: the matching filters, the invitation checkboxes, a
message to those accepted, cancelling a booking and the attendance register. They validate input
and never write: the views pass ``cleaned_data`` to ``sessions_app.services``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from accounts.models import Partnership
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
    name = forms.CharField(
        label="Find someone by name",
        required=False,
        max_length=100,
        help_text="To invite a volunteer of a partner network who is not suggested (100 characters at most).",
        error_messages={"max_length": "Please search with at most 100 characters of their name."},
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

    def has_filters(self) -> bool:
        """Whether experience or a perspective narrows the suggestions."""
        tag_ids, perspective = self.filters()
        return bool(tag_ids or perspective)

    def searched_name(self) -> str:
        """The name searched for ("" when none, or not valid)."""
        if not self.is_bound or not self.is_valid():
            return ""
        return str(self.cleaned_data["name"]).strip()


AGREED_LABEL = "I have agreed this time with them"
AGREED_HELP = (
    "Tick this only if you have talked with them: they told us when they are usually free, when they are "
    "away and how many sessions a month suit them, and we promise to invite them only within that."
)


class InviteForm(forms.Form):
    """The ticked volunteers, looked up among the active volunteers of partnered networks not yet
    invited to the session (an unknown id, or someone paused or from another network, is refused);
    the service checks the rest. ``agreed_with_volunteer`` lets a coordinator invite beyond what a
    volunteer told us, having agreed it with them."""

    volunteers = forms.ModelMultipleChoiceField(
        queryset=VolunteerProfile.objects.none(),
        error_messages={
            "required": "Please tick at least one volunteer to invite.",
            "invalid_choice": NOT_INVITABLE,
            "invalid_pk_value": NOT_INVITABLE,
            "invalid_list": NOT_INVITABLE,
        },
    )
    agreed_with_volunteer = forms.BooleanField(label=AGREED_LABEL, required=False, help_text=AGREED_HELP)

    def __init__(self, *args: Any, session: TeachingSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # The lookup costs a query, so only a posted form asks for it.
            field = cast(forms.ModelMultipleChoiceField, self.fields["volunteers"])
            field.queryset = (
                VolunteerProfile.objects.filter(erased_at__isnull=True)
                .findable_by(session.university, on=timezone.localdate(session.starts_at))
                .exclude(pk__in=Booking.objects.filter(session=session).values("volunteer_id"))
            )

    def ticked(self) -> set[int]:
        """The ids ticked, to tick them again when the page is shown with an error."""
        if not isinstance(self.data, MultiValueDict):
            return set()
        return {int(value) for value in self.data.getlist("volunteers") if str(value).isdigit()}


class ReinviteForm(forms.Form):
    agreed_with_volunteer = forms.BooleanField(label=AGREED_LABEL, required=False, help_text=AGREED_HELP)


class MessageForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=150)
    message = forms.CharField(label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 8}))


class CoordinatorCancelForm(forms.Form):
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


class AttendanceCorrectionForm(forms.Form):
    """The corrected answer for one volunteer (the other answer than the one recorded is offered first)."""

    status = forms.ChoiceField(
        choices=ATTENDANCE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose attended or did not attend.",
            "invalid_choice": "Please choose attended or did not attend.",
        },
    )

    def __init__(self, *args: Any, booking: Booking, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].label = f"Did {booking.volunteer.display_name} attend?"
        self.initial.setdefault("status", booking.status)
