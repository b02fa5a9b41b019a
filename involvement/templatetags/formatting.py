"""Dates, times and money written one way everywhere (``involvement.formatting``). Built in to
every template (``TEMPLATES`` in settings), so no ``{% load %}`` is needed."""

from __future__ import annotations

import datetime

from django import template

from involvement import formatting

register = template.Library()

register.filter("day", formatting.day)
register.filter("moment", formatting.moment)
register.filter("money", formatting.money)


@register.simple_tag
def when(start: datetime.datetime, end: datetime.datetime | None = None) -> str:
    """``{% when session.starts_at session.ends_at %}``: "Tuesday 3 March 2026, 10:00–12:00"."""
    return formatting.when(start, end)
