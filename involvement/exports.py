"""The one CSV writer and the one XLSX writer of every export, and the rule that stops a
spreadsheet running a cell.

A cell a spreadsheet would read as a formula (one starting ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is written with a leading apostrophe, so it is shown as the text it is. Both
writers pass every text cell through ``neutralise``; the XLSX writer keeps numbers (``int``,
``Decimal``, ``float``) and dates as numbers and dates, which a spreadsheet never runs, and
stores every text cell as a string, never as a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

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


# Control characters the XLSX format cannot hold (openpyxl refuses them); tab, line feed and
# carriage return are allowed.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Sheet names: at most 31 characters, none of these.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Sheet:
    """One worksheet of an XLSX export: its name, header row and rows."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Iterable[Any]]


def xlsx_cell(cell: Any) -> Any:
    """The value an XLSX cell holds: numbers and dates as they are, anything else as neutralised
    text (the same rule as the CSV writer) without the control characters XLSX cannot hold."""
    if isinstance(cell, bool):
        return "Yes" if cell else "No"
    if isinstance(cell, int | float | Decimal | datetime.date):
        return cell
    return XLSX_ILLEGAL.sub("", neutralise(cell))


def write_xlsx(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook with one worksheet per ``Sheet``: the header row in bold, then the rows,
    every cell through ``xlsx_cell``, every text cell stored as a string (never a formula) and
    money (``Decimal``) shown with two decimals."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]  # a new workbook always has its first sheet
    for sheet in sheets:
        worksheet = workbook.create_sheet(" ".join(SHEET_NAME_FORBIDDEN.sub(" ", sheet.title).split())[:31])
        worksheet.append([xlsx_cell(cell) for cell in sheet.header])
        for header_cell in worksheet[1]:
            header_cell.font = Font(bold=True)
        for row in sheet.rows:
            worksheet.append([xlsx_cell(cell) for cell in row])
        for column in worksheet.iter_cols():
            for cell in column:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                elif isinstance(cell.value, Decimal):
                    cell.number_format = "0.00"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xlsx_response(content: bytes, *, filename: str) -> HttpResponse:
    """``content`` as an XLSX download, never cached (exports hold personal data)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
