"""The report filters: a date range (the current academic year unless chosen), and optionally one
partner university (network reports), programme, module and kind of session, each chosen only
from what the person may see. A choice from outside it, a range that ends before it starts or one
longer than five years is refused by the field it belongs to, and no report is run."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Organisation
from involvement import formatting
from involvement.periods import MAX_YEARS, Period, current_academic_year, latest_end
from involvement.widgets import DateInput
from reports import selectors
from sessions_app.models import Module, Programme, TeachingSession

FIELDS = ("start", "end", "university", "programme", "module", "kind")


class ProgrammeChoiceField(forms.ModelChoiceField["Programme"]):
    def label_from_instance(self, obj: Programme) -> str:
        return f"{obj.name} ({obj.academic_year}), {obj.university.name}"


class ModuleChoiceField(forms.ModelChoiceField["Module"]):
    def label_from_instance(self, obj: Module) -> str:
        return f"{obj.code} {obj.title}: {obj.programme.name} ({obj.programme.academic_year})"


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="From", widget=DateInput())
    end = forms.DateField(label="To", widget=DateInput(), help_text="Both days are included. At most five years.")
    university = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="All partner universities",
        error_messages={"invalid_choice": "Please choose one of your network's partner universities."},
    )
    programme = ProgrammeChoiceField(
        queryset=Programme.objects.none(),
        required=False,
        empty_label="All programmes",
        error_messages={"invalid_choice": "Please choose one of the programmes listed."},
    )
    module = ModuleChoiceField(
        queryset=Module.objects.none(),
        required=False,
        empty_label="All modules",
        error_messages={"invalid_choice": "Please choose one of the modules listed."},
    )
    kind = forms.ChoiceField(
        label="Kind of involvement",
        choices=[("", "All kinds"), *TeachingSession.Kind.choices],
        required=False,
    )

    def __init__(self, data: Any = None, *, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.organisation = organisation
        programmes: QuerySet[Programme] = selectors.report_programmes(organisation)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["module"].queryset = selectors.report_modules(organisation)  # type: ignore[attr-defined]
        if organisation.is_university:
            del self.fields["university"]
        else:
            self.fields["university"].queryset = selectors.report_universities(organisation)  # type: ignore[attr-defined]
            self.fields["programme"].error_messages["invalid_choice"] = (
                "Please choose a programme of one of your network's partner universities."
            )
        if organisation.is_university:
            self.fields["programme"].error_messages["invalid_choice"] = (
                f"Please choose one of the programmes of {organisation.name}."
            )

    @classmethod
    def for_request(cls, query: Any, *, organisation: Organisation) -> ReportFilterForm:
        """Bound to the query string, the current academic year filling in a missing range."""
        data = query.copy()
        default = current_academic_year()
        if not data.get("start") and not data.get("end"):
            data["start"] = default.start.isoformat()
            data["end"] = default.end.isoformat()
        return cls(data, organisation=organisation)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start: datetime.date | None = data.get("start")
        end: datetime.date | None = data.get("end")
        if start and end:
            if end < start:
                self.add_error(
                    "end", f"The end date is before the start date: please choose {formatting.day(start)} or later."
                )
            elif end > latest_end(start):
                self.add_error(
                    "end",
                    f"A report can cover at most {MAX_YEARS} years: please choose "
                    f"{formatting.day(latest_end(start))} or earlier.",
                )
        university = data.get("university")
        programme: Programme | None = data.get("programme")
        module: Module | None = data.get("module")
        if university and programme and programme.university_id != university.pk:
            self.add_error("programme", f"That programme is not at {university.name}.")
        if programme and module and module.programme_id != programme.pk:
            self.add_error("module", "That module is not part of the programme chosen.")
        return data

    def scope(self) -> selectors.ReportScope:
        """The scope the valid filters describe."""
        data = self.cleaned_data
        return selectors.ReportScope(
            organisation=self.organisation,
            period=Period(data["start"], data["end"]),
            university=data.get("university"),
            programme=data.get("programme"),
            module=data.get("module"),
            kind=data.get("kind") or "",
        )
