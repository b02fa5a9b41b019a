"""Spreadsheet formula injection: every CSV and XLSX export, filled with values a spreadsheet
would run, gives 0 cells that it would run, however the file is split (comma, semicolon, tab or
pipe; quote-aware or naive), and the XLSX holds no formula at all.

The writer is tested on a battery of payloads; then the report exports (CSV and XLSX) and a
volunteer's payment statement are filled with the battery through the database and downloaded.
Every export goes through ``involvement.exports`` (the last test makes sure of it), so the
finance run exports are held by the same writer.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.db.models import CharField, Model, TextField
from django.urls import reverse

from feedback.models import CoordinatorFeedback, ImpactEntry, StudentResponse, VolunteerFeedback
from involvement.exports import Sheet, neutralise, write_csv, write_xlsx
from sessions_app.models import Module, Programme, TeachingSession
from tests.conftest import signed_in
from tests.reports.conftest import Story, story  # noqa: F401 -- the reports' story, as a fixture here
from tests.reports.factories import uk
from volunteers.models import ExperienceTag

ROOT = Path(__file__).resolve().parents[2]
FORMULA = "=+-@＝＋－＠"
SEPARATORS = [",", ";", "\t", "\n", "\r", "|"]
# What a spreadsheet runs: a formula character first, after any whitespace.
RUNS = re.compile(rf"^\s*[{re.escape(FORMULA)}]")

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n=1+1",
    "  +1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1,1)",
    " ＝1",
]
# Each formula character after each separator, alone, after a space and after a quote.
PAYLOADS += [f"Fine{sep}{pad}{char}2+3" for sep in SEPARATORS for char in FORMULA for pad in ("", " ", '"', "'")]


def runnable(cells: list[str]) -> list[str]:
    return [cell for cell in cells if RUNS.match(cell)]


def cells_of_csv(text: str) -> list[str]:
    """Every cell of ``text`` as a spreadsheet could read it: split quote-aware and naively on each
    separator a spreadsheet might choose."""
    cells: list[str] = []
    for delimiter in (",", ";", "\t", "|"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells += row
        for line in re.split(r"\r\n|\n|\r", text):
            cells += [field.strip('"') for field in line.split(delimiter)]
    return cells


def cells_of_xlsx(content: bytes) -> tuple[list[str], list[str]]:
    """Every text cell, and every cell stored as a formula."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    texts, formulas = [], []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{sheet.title}!{cell.coordinate}")
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts, formulas


# The writer ---------------------------------------------------------------------------------------


def test_the_battery_would_run_without_neutralising():
    raw = "\r\n".join(PAYLOADS)

    assert len(PAYLOADS) == 16 + 6 * 8 * 4
    assert len(runnable(cells_of_csv(raw))) >= len(PAYLOADS)


def test_csv_writer_leaves_no_cell_a_spreadsheet_would_run():
    text = write_csv(["Payload", "Again"], [[payload, f"Note: {payload}"] for payload in PAYLOADS])

    assert runnable(cells_of_csv(text)) == []


def test_xlsx_writer_leaves_no_cell_a_spreadsheet_would_run():
    content = write_xlsx([Sheet("Payloads", ["Payload"], [[payload] for payload in PAYLOADS])])

    texts, formulas = cells_of_xlsx(content)
    assert (runnable(texts), formulas) == ([], [])
    assert len(texts) == len(PAYLOADS) + 1


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("＝1+1", "'＝1+1"),
        (" =1", "' =1"),
        ("a,=1", "a,'=1"),
        ("a; -1", "a; '-1"),
        ('a,"=1', "a,\"'=1"),
        ("a|@x", "a|'@x"),
        ("Line one\n=2+2", "Line one\n'=2+2"),
        # Ordinary text is left alone.
        ("Siân O'Brien", "Siân O'Brien"),
        ("Leeds, LS1 4AP", "Leeds, LS1 4AP"),
        ("x-ray, 2-3 pm", "x-ray, 2-3 pm"),
        ("12.50", "12.50"),
        ("", ""),
    ],
)
def test_neutralise(value: str, written: str) -> None:
    assert neutralise(value) == written


# The exports, filled through the database --------------------------------------------------------------

# The free text each export shows: names, titles, answers, tags.
POISONED: list[tuple[type[Model], list[str]]] = [
    (TeachingSession, ["title"]),
    (Module, ["title", "code"]),
    (Programme, ["name", "profession"]),
    (StudentResponse, ["learned"]),
    (CoordinatorFeedback, ["contribution", "students_took"]),
    (VolunteerFeedback, ["to_change"]),
    (ImpactEntry, ["title", "what_changed"]),
    (ExperienceTag, ["name"]),
]


def poison(filled: Story) -> int:
    """Put a payload at the start of every such field (keeping it unique), and in every name."""
    count = 0
    for model, fields in POISONED:
        for row in model.objects.order_by("pk"):
            for field in fields:
                meta = model._meta.get_field(field)
                assert isinstance(meta, CharField | TextField)
                payload = PAYLOADS[count % len(PAYLOADS)]
                value = f"{payload} {getattr(row, field)}"
                setattr(row, field, value[: meta.max_length] if meta.max_length else value)
                count += 1
            row.save()
    for profile in (filled.ann, filled.ben, filled.cal, filled.dee, filled.eve):
        profile.user.name = f"{PAYLOADS[count % len(PAYLOADS)]} {profile.user.name}"
        profile.user.save(update_fields=["name"])
        count += 1
    return count


@pytest.fixture
def poisoned(story: Story) -> Iterator[Story]:  # noqa: F811 -- the imported fixture, used here
    assert poison(story) > 40
    with time_machine.travel(uk(2026, 9, 15, 12), tick=False):
        yield story


YEAR = {"start": "2025-09-01", "end": "2026-08-31"}


def test_report_csv_has_no_cell_a_spreadsheet_would_run(poisoned: Story) -> None:
    response = signed_in(poisoned.world.coordinator).get(
        reverse("reports:export_csv", kwargs={"slug": "university-a"}), YEAR
    )

    text = response.content.decode("utf-8").lstrip("\ufeff")
    assert response.status_code == 200
    assert "HYPERLINK" in text  # the payloads are in it, neutralised
    assert runnable(cells_of_csv(text)) == []


def test_report_xlsx_has_no_cell_a_spreadsheet_would_run(poisoned: Story) -> None:
    response = signed_in(poisoned.world.coordinator).get(
        reverse("reports:export_xlsx", kwargs={"slug": "university-a"}), YEAR
    )

    texts, formulas = cells_of_xlsx(response.content)
    assert response.status_code == 200
    assert any("HYPERLINK" in text for text in texts)
    assert (runnable(texts), formulas) == ([], [])


def test_payment_statement_has_no_cell_a_spreadsheet_would_run(poisoned: Story) -> None:
    response = signed_in(poisoned.ann.user).get(reverse("expenses:statement", kwargs={"year": 2025}))

    text = response.content.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert (response.status_code, len(rows) > 2) == (200, True)
    assert runnable(cells_of_csv(text)) == []


def test_every_export_is_written_by_the_one_writer():
    """No module but involvement/exports.py makes a CSV or XLSX itself, so the rule above is
    the rule of every export (the finance run exports included)."""
    writers = re.compile(r"csv\.writer\(|csv\.DictWriter\(|openpyxl\.Workbook\(|\bWorkbook\(\)")
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("accounts", "volunteers", "sessions_app", "expenses", "feedback", "reports", "involvement")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "exports.py" or path.parent.name != "involvement"
        if writers.search(path.read_text())
    ]

    assert offenders == []
