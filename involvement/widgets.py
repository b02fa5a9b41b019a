"""The site's date and time fields: typed text in one clear format, the same in every browser.

A ``type=date`` or ``type=time`` field follows the browser's language, not ours: a UK volunteer
whose browser is set to US English is shown mm/dd/yyyy and "12:00 PM" beside a "24-hour clock"
hint. These are plain text fields instead; the form renderer (``involvement.boundfield``) adds the
hint ("For example 27/03/2026.", "24-hour clock, for example 14:30.") to each one's help text and
gives each one's field ``DATE_INPUT_FORMATS`` or ``TIME_INPUT_FORMATS`` below, whatever language
the browser asks for (Django's formats for US English would read 03/27/2026).

No ``inputmode="numeric"``: a phone's number pad may have no "/" or ":" to type.
"""

from __future__ import annotations

from typing import Any

from django import forms

DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M"
# Day/month/year, and ISO (2026-03-27: links and older bookmarks carry it).
DATE_INPUT_FORMATS = [DATE_FORMAT, "%Y-%m-%d"]
TIME_INPUT_FORMATS = [TIME_FORMAT, "%H:%M:%S"]
DATE_HINT = "For example 27/03/2026."
TIME_HINT = "24-hour clock, for example 14:30."


class DateInput(forms.DateInput):
    """A date typed as day/month/year (shown as 27/03/2026)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})}, format=DATE_FORMAT)


class TimeInput(forms.TimeInput):
    """A time typed on the 24-hour clock (shown as 14:30)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})}, format=TIME_FORMAT)
