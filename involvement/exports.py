"""The one CSV writer of every export, and the rule that stops a spreadsheet running a cell.

A cell a spreadsheet would read as a formula (one starting ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is written with a leading apostrophe, so it is shown as the text it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> str:
    """The cell as text a spreadsheet shows and never runs."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document (CRLF line ends, as RFC 4180) with every cell neutralised."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return output.getvalue()


def csv_response(content: str, *, filename: str) -> HttpResponse:
    """``content`` as a CSV download. A byte-order mark first, so spreadsheet programs read names
    such as Siân correctly; never cached, as exports hold personal data."""
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
