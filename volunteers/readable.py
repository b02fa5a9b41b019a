"""The volunteer's data, as the readable page shows it: every provider's plain data (dicts, lists,
strings, ISO dates) turned into headings, definition lists, tables and links, whatever app it came
from, so a new provider's section is shown without a template of its own."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst

from involvement import formatting

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Labels that read better than the key made into words.
LABELS = {
    "monthly_session_cap": "Most sessions in a month",
    "travel_miles": "How far you will travel (miles)",
    "longest_session_minutes": "Longest session (minutes)",
    "payment_preference_reason": "Reason for your payment preference",
    "application_statement": "Why you applied",
    "heard_about": "How you heard about us",
    "decision_message": "Message about your application",
    "last_sign_in": "Last signed in",
    "recorded_by": "Recorded by",
    "cancel_reason": "Reason for cancelling",
    "check_in": "How you were after the session",
    "fee_due": "Fee due (£)",
    "fee_requested": "Fee taken (£)",
    "amount": "Amount (£)",
}
LINK_KEYS = frozenset({"download", "address"})


@dataclass
class Node:
    """One value on the page: "text", "link", "fields" (a definition list), "table" or "items"."""

    kind: str
    text: str = ""
    url: str = ""
    fields: list[tuple[str, Node]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, Node]]] = field(default_factory=list)
    items: list[Node] = field(default_factory=list)


def label(key: str) -> str:
    return LABELS.get(key) or capfirst(key.replace("_", " "))


def readable_text(value: Any) -> str:
    """A scalar in words: dates as "Monday 2 March 2026" (and "Monday 2 March 2026, 10:00"), yes and
    no, "Not given"."""
    if value is None or value == "":
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str) and ISO_MOMENT.match(value):
        moment = parse_datetime(value)
        if moment is not None:
            return formatting.moment(moment)
    if isinstance(value, str) and ISO_DATE.match(value):
        day = parse_date(value)
        if isinstance(day, datetime.date):
            return formatting.day(day)
    return str(value)


def _is_flat(row: Any) -> bool:
    return isinstance(row, dict) and all(not isinstance(value, (dict, list)) for value in row.values())


def readable(value: Any, key: str = "") -> Node:
    """The page's node for ``value`` (found under ``key``)."""
    if isinstance(value, dict):
        return Node("fields", fields=[(label(name), readable(item, name)) for name, item in value.items()])
    if isinstance(value, list):
        if not value:
            return Node("text", text="None recorded.")
        if all(_is_flat(row) for row in value) and len({tuple(row) for row in value}) == 1:
            columns = list(value[0])
            return Node(
                "table",
                columns=[label(name) for name in columns],
                rows=[[(label(name), readable(row[name], name)) for name in columns] for row in value],
            )
        return Node("items", items=[readable(item, key) for item in value])
    if key in LINK_KEYS and isinstance(value, str) and value.startswith(("http://", "https://", "/")):
        return Node("link", text="Download" if key == "download" else value, url=value)
    return Node("text", text=readable_text(value))
