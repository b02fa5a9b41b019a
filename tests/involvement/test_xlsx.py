"""The XLSX writer beside the CSV one: the same neutralising rule, numbers kept as numbers, text
never stored as a formula, and control characters XLSX cannot hold dropped."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl

from involvement.exports import FORMULA_STARTS, Sheet, neutralise, write_xlsx


def read(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_every_formula_start_is_neutralised_like_the_csv():
    cells = [f"{start}1+1" for start in FORMULA_STARTS]
    workbook = read(write_xlsx([Sheet("Cells", ["Header"], [[cell] for cell in cells])]))

    sheet = workbook["Cells"]
    # XML reads a carriage return back as a line feed; the apostrophe in front is what matters.
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [
        neutralise(cell).replace("\r", "\n") for cell in cells
    ]
    assert {row[0].data_type for row in sheet.iter_rows(min_row=2)} == {"s"}


def test_numbers_dates_and_text_keep_their_types():
    rows = [[7, Decimal("12.40"), -3, datetime.date(2026, 4, 6), True, None, "Siân O'Brien", "a\x01b\tc"]]
    workbook = read(
        write_xlsx([Sheet("A/B: [types]?", ["n", "money", "minus", "day", "yes", "none", "name", "ctl"], rows)])
    )

    sheet = workbook.worksheets[0]
    assert sheet.title == "A B types"
    values = [cell.value for cell in sheet[2]]
    assert values == [7, 12.4, -3, datetime.datetime(2026, 4, 6), "Yes", None, "Siân O'Brien", "ab\tc"]
    assert sheet["B2"].number_format == "0.00"
    assert [cell.font.bold for cell in sheet[1]] == [True] * 8
