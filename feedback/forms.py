"""Forms for feedback, follow-ups and the impact log. They validate and never write: the views pass
``cleaned_data`` to ``feedback.services``, which checks the rules again. Every message is written
for the person filling the form in, and every length limit is said in the help text."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Organisation
from feedback.models import Agreement, ImpactEntry, StudentResponse, VolunteerFeedback, WellbeingFollowUp
from feedback.services import IMPACT_TEXT_LIMIT, LEARNED_LIMIT, TEXT_LIMIT
from involvement import formatting
from involvement.widgets import DateInput
from sessions_app.models import Module, TeachingSession

YES, NO = "yes", "no"
RATINGS = [
    (1, "1 – poor"),
    (2, "2 – below what we hoped"),
    (3, "3 – all right"),
    (4, "4 – good"),
    (5, "5 – excellent"),
]
STUDENT_RATINGS = [
    (1, "1 – not useful"),
    (2, "2 – a little useful"),
    (3, "3 – useful"),
    (4, "4 – very useful"),
    (5, "5 – one of the most useful sessions I have had"),
]


def _choice(label: str, choices: Any, message: str, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
        **kwargs,
    )


def _text(label: str, limit: int, help_text: str, *, required: bool = False, message: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"{help_text} Up to {limit:,} characters.".strip(),
        error_messages={
            "required": message or f"Please fill in “{label}”.",
            "max_length": f"Please shorten this to {limit:,} characters or fewer.",
        },
    )


def _rating(label: str, choices: list[tuple[int, str]]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose a rating from 1 to 5.",
            "invalid_choice": "Please choose a rating from 1 to 5.",
        },
    )


class VolunteerFeedbackForm(forms.Form):
    how_it_went = _choice(
        "How did the session go for you?",
        VolunteerFeedback.HowItWent.choices,
        "Please choose how the session went for you.",
    )
    felt_prepared = _choice(
        "Did you feel prepared for it?", Agreement.choices, "Please choose whether you felt prepared."
    )
    felt_supported = _choice(
        "Did you feel supported on the day?", Agreement.choices, "Please choose whether you felt supported."
    )
    to_change = _text(
        "Is there anything you would change? (optional)",
        TEXT_LIMIT,
        "About the briefing, the day or anything else. The coordinator will read this.",
    )
    wants_contact = _choice(
        "Would you like someone to contact you?",
        [(YES, "Yes, please contact me"), (NO, "No, thank you")],
        "Please say whether you would like someone to contact you.",
        help_text="If you say yes, we let your network’s lead know, and only them.",
    )


class CoordinatorFeedbackForm(forms.Form):
    rating = _rating("How did the volunteers’ contribution go?", RATINGS)
    contribution = _text(
        "In your words, how did it go?",
        TEXT_LIMIT,
        "The volunteers who took part will read this on their “difference you made” page.",
        required=True,
        message="Please say, in a sentence or two, how the contribution went.",
    )
    students_took = _text(
        "What did students take from it? (optional)",
        TEXT_LIMIT,
        "What they learned or said afterwards. The volunteers who took part will read this too.",
    )


class StudentResponseForm(forms.Form):
    """No name, no email, nothing about the student: only their answers."""

    learned = _text(
        "What did you learn from this session?",
        LEARNED_LIMIT,
        "Please do not write your name or anyone else’s.",
        required=True,
        message="Please tell us what you learned.",
    )
    change_practice = _choice(
        "Will it change how you practise?",
        StudentResponse.ChangePractice.choices,
        "Please choose yes, maybe or no.",
    )
    rating = _rating("How useful was the session?", STUDENT_RATINGS)


class ChooseCommentForm(forms.Form):
    chosen = forms.TypedChoiceField(
        choices=[("1", "Share"), ("0", "Stop sharing")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": "Please choose whether to share the comment.",
            "invalid_choice": "Please choose whether to share the comment.",
        },
    )


class FollowUpStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=WellbeingFollowUp.Status.choices,
        error_messages={
            "required": "Please choose what to mark the follow-up.",
            "invalid_choice": "Please choose open, contacted or closed.",
        },
    )


class FollowUpNoteForm(forms.Form):
    text = _text(
        "Add a note",
        TEXT_LIMIT,
        "Dated and signed with your name. Only the leads of this network can read it.",
        required=True,
        message="Please write the note.",
    )


class ModuleChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.title} ({obj.programme.name}, {obj.programme.academic_year})"


class SessionChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title}, {formatting.day(obj.starts_at)} ({obj.module.code})"


class ImpactEntryForm(forms.Form):
    """What changed because of involvement. ``universities`` are where the coordinator works (a
    choice is offered only when there are several, and never when editing: the entry keeps its
    university)."""

    university = forms.ModelChoiceField(
        label="University",
        queryset=Organisation.objects.none(),
        error_messages={
            "required": "Please choose the university that made the change.",
            "invalid_choice": "Please choose one of your universities.",
        },
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="A few words, for example “Breaking bad news now starts with the patient’s story”. "
        "Up to 200 characters.",
        error_messages={
            "required": "Please give the change a short title.",
            "max_length": "Please shorten the title to 200 characters or fewer.",
        },
    )
    area = forms.ChoiceField(
        label="What changed",
        choices=ImpactEntry.Area.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose what changed.", "invalid_choice": "Please choose what changed."},
    )
    what_changed = _text(
        "What changed, and why",
        IMPACT_TEXT_LIMIT,
        "What volunteers or students said, and what you did about it (“you said, we did”). "
        "Volunteers who took part in the linked sessions or modules will read this; please name nobody.",
        required=True,
        message="Please say what changed.",
    )
    changed_on = forms.DateField(
        label="When it changed",
        widget=DateInput(),
        help_text="Today or earlier.",
        error_messages={
            "required": "Please enter the day it changed, for example 17/11/2026.",
            "invalid": "Please enter the day it changed, for example 17/11/2026.",
        },
    )
    modules = ModuleChoices(
        label="Modules it changed (optional)",
        queryset=Module.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Please choose modules of your university only."},
    )
    sessions = SessionChoices(
        label="Sessions that led to it (optional)",
        queryset=TeachingSession.objects.none(),
        required=False,
        help_text="Sessions of the last two years. Hold Ctrl (or Cmd) to choose more than one.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": "Please choose sessions of your university only."},
    )

    def __init__(
        self,
        *args: Any,
        universities: list[Organisation],
        modules: Any,
        sessions: Any,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["university"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            pk__in=[university.pk for university in universities]
        ).order_by("name")
        self.fields["modules"].queryset = modules  # type: ignore[attr-defined]
        self.fields["sessions"].queryset = sessions  # type: ignore[attr-defined]
        # One university (or an entry being changed, whose university stays): nothing to choose.
        self.only_university = None if editing or len(universities) != 1 else universities[0]
        if editing or self.only_university is not None:
            self.fields["university"].widget = forms.HiddenInput()
            self.fields["university"].required = False
        if not self.is_bound and "changed_on" not in self.initial:
            self.fields["changed_on"].initial = timezone.localdate()

    def clean_university(self) -> Organisation | None:
        chosen: Organisation | None = self.cleaned_data.get("university")
        return chosen or self.only_university

    def clean_changed_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["changed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Please give the day it changed: today or earlier.")
        return day
