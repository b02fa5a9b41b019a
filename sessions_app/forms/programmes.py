"""Forms for a coordinator's programmes and modules. They validate and never write: the views pass
``cleaned_data`` to ``sessions_app.services``, which checks the rules again."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from accounts.models import Organisation, User
from sessions_app.models import Module, Programme

ACADEMIC_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
ACADEMIC_YEAR_MESSAGE = (
    "Please enter the academic year like 2026/27: "
    "the year it starts, a slash, then the last two digits of the next year."
)
YEAR_OF_STUDY_MESSAGE = "Please enter a year of study from 1 to 7."


class StaffField(forms.ModelMultipleChoiceField):
    """Staff listed by name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


class ProgrammeForm(forms.Form):
    """A programme. ``universities`` are where the coordinator works: the university is asked for
    only on a new programme when there are several; otherwise the view supplies it."""

    university = forms.ModelChoiceField(
        label="University",
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Please choose one of your universities."},
    )
    name = forms.CharField(label="Name", max_length=200, help_text="For example “BSc (Hons) Diagnostic Radiography”.")
    profession = forms.CharField(label="Profession", max_length=100, help_text="For example “Diagnostic radiography”.")
    regulator = forms.ChoiceField(label="Regulator", choices=Programme.Regulator.choices)
    academic_year = forms.CharField(
        label="Academic year",
        max_length=9,
        help_text="For example 2026/27.",
        error_messages={"required": ACADEMIC_YEAR_MESSAGE},
    )

    def __init__(self, *args: Any, universities: QuerySet[Organisation] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if universities is None or universities.count() < 2:
            del self.fields["university"]
        else:
            cast(forms.ModelChoiceField, self.fields["university"]).queryset = universities

    @classmethod
    def initial_for(cls, programme: Programme) -> dict[str, Any]:
        return {name: getattr(programme, name) for name in ("name", "profession", "regulator", "academic_year")}

    def clean_academic_year(self) -> str:
        value: str = self.cleaned_data["academic_year"].strip()
        match = ACADEMIC_YEAR.match(value)
        if match is None or int(match.group(2)) != (int(match.group(1)) + 1) % 100:
            raise forms.ValidationError(ACADEMIC_YEAR_MESSAGE)
        return value

    def changes(self) -> dict[str, Any]:
        """The programme's fields for ``services.save_programme``."""
        return {name: value for name, value in self.cleaned_data.items() if name != "university"}


class ModuleForm(forms.Form):
    code = forms.CharField(label="Module code", max_length=20, help_text="For example RAD4001.")
    title = forms.CharField(label="Title", max_length=200)
    year_of_study = forms.IntegerField(
        label="Year of study",
        min_value=1,
        max_value=7,
        error_messages={
            "min_value": YEAR_OF_STUDY_MESSAGE,
            "max_value": YEAR_OF_STUDY_MESSAGE,
            "invalid": YEAR_OF_STUDY_MESSAGE,
            "required": YEAR_OF_STUDY_MESSAGE,
        },
    )
    leads = StaffField(
        label="Module leads",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Staff of the university who lead this module.",
        error_messages={"invalid_choice": "Please choose module leads from the university’s staff."},
    )

    def __init__(self, *args: Any, university: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(memberships__organisation=university).distinct().order_by("name", "email")
        cast(StaffField, self.fields["leads"]).queryset = staff

    @classmethod
    def initial_for(cls, module: Module) -> dict[str, Any]:
        return {
            "code": module.code,
            "title": module.title,
            "year_of_study": module.year_of_study,
            "leads": list(module.leads.all()),
        }

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()
