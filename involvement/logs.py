"""The log format: one JSON object per line, with nothing personal in it.

Every record the site and the worker write goes through ``Redact`` and then ``JsonFormatter``
(``LOGGING`` in settings). Messages are written to name objects by id, never by person; as a
second line of defence, ``Redact`` replaces email addresses and the secret tokens of capability
addresses (calendar feeds, feedback links, sign-up links: long URL-safe strings) in the rendered
message, so a "Not Found: /calendar/<token>.ics" line carries no usable address. A traceback
keeps its frames and the exception's type but not its message, which can quote a database row
(an IntegrityError's "Key (email)=(...)", say).
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A capability token: 20 or more URL-safe characters with at least one digit and one letter, so
# words and plain numbers (ids, counts) are left alone.
TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}(?![\w-])")

# What a record carries besides the standard attributes: only these extra keys are written.
EXTRA_KEYS = ("status_code", "task", "notification", "run", "count", "seconds")


def redact(text: str) -> str:
    return TOKEN.sub("[token]", EMAIL.sub("[email]", text))


class Redact(logging.Filter):
    """Render the message once, redacted, so no handler sees its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        # Django's request logger attaches the request; the formatter never writes it.
        if hasattr(record, "request"):
            record.request = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in EXTRA_KEYS:
            value = getattr(record, key, None)
            if isinstance(value, int | float | str):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, trace = record.exc_info
            entry["exception"] = kind.__qualname__
            entry["traceback"] = "".join(traceback.format_tb(trace)).rstrip()
        return json.dumps(entry, ensure_ascii=False)
