"""Dates and times are typed in one clear format on every form, whatever the browser's language."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.utils import translation

from involvement.widgets import DateInput, TimeInput


class WhenForm(forms.Form):
    day = forms.DateField(widget=DateInput())
    at = forms.TimeField(widget=TimeInput())


@pytest.mark.parametrize("language", ["en-gb", "en-us", "en"])
def test_a_typed_date_and_time_are_read_day_first_and_on_the_24_hour_clock(language: str) -> None:
    with translation.override(language):
        form = WhenForm({"day": "03/04/2026", "at": "14:30"})
        iso = WhenForm({"day": "2026-04-03", "at": "09:05"})
        american = WhenForm({"day": "04/30/2026", "at": "2:30 PM"})

        assert (form.is_valid(), iso.is_valid(), american.is_valid()) == (True, True, False)
    assert form.cleaned_data == {"day": datetime.date(2026, 4, 3), "at": datetime.time(14, 30)}
    assert iso.cleaned_data == {"day": datetime.date(2026, 4, 3), "at": datetime.time(9, 5)}
    assert american.errors == {
        "day": ["Please give a real date: day, month and year."],
        "at": ["Please give a time on the 24-hour clock, for example 14:30."],
    }


def test_the_fields_are_text_with_the_format_said_before_typing() -> None:
    form = WhenForm(initial={"day": datetime.date(2026, 3, 27), "at": datetime.time(14, 30)})

    day, at = str(form["day"]), str(form["at"])

    assert ('type="text"' in day, 'value="27/03/2026"' in day) == (True, True)
    assert ('type="text"' in at, 'value="14:30"' in at) == (True, True)
    assert (form["day"].help_text, form["at"].help_text) == (
        "For example 27/03/2026.",
        "24-hour clock, for example 14:30.",
    )


def test_no_form_uses_the_browsers_own_date_or_time_field() -> None:
    sources = [
        path
        for app in ("accounts", "volunteers", "sessions_app", "expenses", "feedback", "reports", "involvement")
        for path in Path(settings.BASE_DIR, app).rglob("*.py")
        if "migrations" not in path.parts
    ]

    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in sources
        if any(marker in path.read_text() for marker in ('"type": "date"', '"type": "time"', 'input_type = "date"'))
    ]

    assert offenders == []
