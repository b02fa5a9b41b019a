"""Forms for a coordinator's teaching sessions. They validate and never write: the views pass
``cleaned_data`` to ``sessions_app.services``, which checks the rules again.

Times are entered in UK time on the 24-hour clock, as a date and separate start and end times on
that day; ``sessions_app.clock.london_datetime`` turns them into moments and refuses the times
that do not exist, or happen twice, when the clocks change.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import Membership, Partnership, User
from involvement.widgets import DateInput, TimeInput
from sessions_app.clock import ClockError, london_datetime
from sessions_app.models import Module, TeachingSession
from volunteers.models import ConsentPurpose, ExperienceTag

COORDINATOR = Membership.Role.COORDINATOR
PLACES_MESSAGE = "Please enter a number of places from 1 to 500."
DATE_WIDGET = DateInput()
TIME_HELP = "UK time, on the 24-hour clock: for example 14:30."


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=TimeInput(),
        help_text=TIME_HELP,
        error_messages={"invalid": "Please enter a time on the 24-hour clock, for example 14:30."},
    )


class WhenForm(forms.Form):
    """A day with a start and an end time on it, in UK time. Valid data gains ``starts_at`` and
    ``ends_at`` (aware moments)."""

    date = forms.DateField(
        label="Date", widget=DATE_WIDGET, error_messages={"invalid": "Please enter a date, for example 17/11/2026."}
    )
    start_time = _time_field("Start time")
    end_time = _time_field("End time")

    @staticmethod
    def initial_when(starts_at: datetime.datetime, ends_at: datetime.datetime) -> dict[str, Any]:
        start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        return {"date": start.date(), "start_time": start.time(), "end_time": end.time()}

    def _moment(self, day: datetime.date, field: str) -> datetime.datetime | None:
        time = self.cleaned_data.get(field)
        if time is None:
            return None
        try:
            return london_datetime(day, time)
        except ClockError as error:
            self.add_error(field, str(error))
            return None

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        day = cleaned.get("date")
        if day is None:
            return cleaned
        starts_at, ends_at = self._moment(day, "start_time"), self._moment(day, "end_time")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("end_time", "The session must end after it starts. Please check the end time.")
        elif starts_at and ends_at:
            cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned


class ModuleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.title} ({obj.programme.name}, {obj.programme.academic_year})"


class TagField(forms.ModelMultipleChoiceField):
    """Experience tags labelled with their network, so two networks' lists never blur together."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.network.name})"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


class SessionForm(WhenForm):
    """A teaching session. ``universities`` are the ids of the universities where the coordinator
    works: modules, experience lists and owners come from there."""

    module = ModuleField(
        label="Module",
        queryset=Module.objects.none(),
        error_messages={"invalid_choice": "Please choose one of your university’s modules."},
    )
    title = forms.CharField(label="Title", max_length=200, help_text="For example “Living with breast cancer”.")
    kind = forms.ChoiceField(label="Kind of involvement", choices=TeachingSession.Kind.choices)
    venue = forms.CharField(
        label="Venue", max_length=300, required=False, help_text="Building and room, for an in-person session."
    )
    online_link = forms.URLField(
        label="Online link",
        required=False,
        assume_scheme="https",
        help_text="The meeting link, for an online session.",
        error_messages={"invalid": "Please enter the full meeting link, starting https://"},
    )
    places = forms.IntegerField(
        label="Places for volunteers",
        min_value=1,
        max_value=500,
        error_messages={
            "min_value": PLACES_MESSAGE,
            "max_value": PLACES_MESSAGE,
            "invalid": PLACES_MESSAGE,
            "required": PLACES_MESSAGE,
        },
    )
    preferred_tags = TagField(
        label="Preferred experience",
        queryset=ExperienceTag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="From the experience lists of your partner networks. Matching puts these volunteers first.",
        error_messages={"invalid_choice": "Please choose experience from your partner networks’ lists."},
    )
    required_consents = forms.ModelMultipleChoiceField(
        label="Consent volunteers must have given",
        queryset=ConsentPurpose.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only volunteers who have agreed to all of these can be booked.",
    )
    briefing = forms.CharField(
        label="Briefing for volunteers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What volunteers should know before they come. They see it with the invitation.",
    )
    purpose = forms.CharField(
        label="Purpose",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the students should learn from it.",
    )
    emotionally_demanding = forms.BooleanField(
        label="This session may be emotionally demanding",
        required=False,
        help_text="Volunteers are asked how they are the day after.",
    )
    owner = PersonField(
        label="Owner",
        queryset=User.objects.none(),
        empty_label=None,
        help_text="The coordinator who looks after this session.",
        error_messages={"invalid_choice": "Please choose a coordinator of your university."},
    )

    field_order = [
        "module",
        "title",
        "kind",
        "date",
        "start_time",
        "end_time",
        "venue",
        "online_link",
        "places",
        "preferred_tags",
        "required_consents",
        "briefing",
        "purpose",
        "emotionally_demanding",
        "owner",
    ]

    def __init__(self, *args: Any, universities: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        modules = Module.objects.filter(programme__university_id__in=universities).select_related("programme")
        cast(ModuleField, self.fields["module"]).queryset = modules.order_by("code", "programme__academic_year")
        partnered = Partnership.objects.active().filter(university_id__in=universities).values("network_id")
        tags = ExperienceTag.objects.filter(network__in=partnered).select_related("network")
        cast(TagField, self.fields["preferred_tags"]).queryset = tags.order_by("network__name", "name")
        coordinators = User.objects.filter(
            memberships__organisation_id__in=universities, memberships__role=COORDINATOR
        ).distinct()
        cast(PersonField, self.fields["owner"]).queryset = coordinators.order_by("name", "email")
        for name in ("preferred_tags", "required_consents"):
            # Nothing to choose from: no empty group of checkboxes (nor an error with nowhere to show).
            choices = cast(forms.ModelMultipleChoiceField, self.fields[name]).queryset
            if choices is None or not choices.exists():
                del self.fields[name]

    @classmethod
    def initial_for(cls, session: TeachingSession) -> dict[str, Any]:
        names = ("module", "title", "kind", "venue", "online_link", "places", "briefing", "purpose")
        initial: dict[str, Any] = {name: getattr(session, name) for name in names}
        initial.update(
            cls.initial_when(session.starts_at, session.ends_at),
            emotionally_demanding=session.emotionally_demanding,
            owner=session.owner,
            preferred_tags=list(session.preferred_tags.all()),
            required_consents=list(session.required_consents.all()),
        )
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("venue") and not cleaned.get("online_link") and "online_link" not in self.errors:
            self.add_error("venue", "Please give a venue, or an online link for an online session.")
        module: Module | None = cleaned.get("module")
        if module is None:
            return cleaned
        university = module.programme.university_id
        partners = set(Partnership.objects.filter(university_id=university).values_list("network_id", flat=True))
        if any(tag.network_id not in partners for tag in cleaned.get("preferred_tags") or []):
            self.add_error(
                "preferred_tags", "Please choose experience from the lists of this module’s university’s partners."
            )
        owner: User | None = cleaned.get("owner")
        if owner is not None and not owner.memberships.filter(organisation_id=university, role=COORDINATOR).exists():
            self.add_error("owner", "The owner must be a coordinator of this module’s university.")
        return cleaned

    def session_fields(self) -> dict[str, Any]:
        """The keyword arguments for ``services.save_session``."""
        data = self.cleaned_data
        names = (
            "module",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "venue",
            "online_link",
            "places",
            "briefing",
            "purpose",
            "emotionally_demanding",
            "owner",
            "preferred_tags",
            "required_consents",
        )
        return {name: data[name] for name in names if name in data}


class CopyForm(WhenForm):
    """When the copy takes place; the rest comes from the session copied."""

    @classmethod
    def initial_for(cls, session: TeachingSession) -> dict[str, Any]:
        """The same date and times a year later (28 February for a 29 February)."""
        initial = cls.initial_when(session.starts_at, session.ends_at)
        day: datetime.date = initial["date"]
        try:
            initial["date"] = day.replace(year=day.year + 1)
        except ValueError:
            initial["date"] = day.replace(year=day.year + 1, day=28)
        return initial


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the session cancelled?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Everyone invited or booked gets an email with this. Please be kind and clear.",
        error_messages={"required": "Please say why the session is cancelled: volunteers will read it."},
    )


class ConfirmForm(forms.Form):
    """A confirmation with nothing to fill in."""
