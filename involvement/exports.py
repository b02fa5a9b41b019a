"""The one CSV writer and the one XLSX writer of every export, and the rule that stops a
spreadsheet running a cell.

A cell a spreadsheet would read as a formula is written so that it is shown as the text it is:

- one starting ``=``, ``+``, ``-``, ``@`` (or their full-width forms ``＝＋－＠``, which some
  spreadsheets and input methods turn into the plain ones), a tab or a carriage return, also
  after leading spaces or line feeds, gets a leading apostrophe;
- inside a cell, a separator (comma, semicolon, tab, line feed, carriage return or ``|``)
  followed by a formula character, with spaces or a quote between, gets an apostrophe before that
  character: a spreadsheet that splits the file on another separator than ours (a semicolon in
  many European settings, a tab, a pipe) would otherwise start a new cell there, with a formula.

Both writers pass every text cell through ``neutralise``; the XLSX writer keeps numbers
(``int``, ``Decimal``, ``float``) and dates as numbers and dates, which a spreadsheet never runs,
and stores every text cell as a string, never as a formula.
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
FORMULA_CHARACTERS = r"=+\-@＝＋－＠"  # a regular-expression character set
# A formula character at the start, after any whitespace (a tab or carriage return alone counts,
# as before); or after a separator inside the cell, with spaces or a quote between.
LEADING_FORMULA = re.compile(rf"^(?:[\t\r]|\s*[{FORMULA_CHARACTERS}])")
SEPARATED_FORMULA = re.compile(rf"([,;\t\n\r|][ \t\"']*)(?=[{FORMULA_CHARACTERS}])")


def neutralise(cell: Any) -> str:
    """The cell as text a spreadsheet shows and never runs, however it splits the file."""
    text = "" if cell is None else str(cell)
    text = SEPARATED_FORMULA.sub(r"\1'", text)
    return f"'{text}" if LEADING_FORMULA.match(text) else text


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
