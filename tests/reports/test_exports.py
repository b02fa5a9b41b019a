"""The CSV and XLSX downloads parsed back and compared with the figures; free text that looks like
a formula is neutralised in both, and nothing is ever stored as a formula."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from tests.conftest import signed_in
from tests.reports.conftest import SCRIPT, Story
from tests.reports.factories import uk

YEAR = {"start": "2025-09-01", "end": "2026-08-31"}
HYPERLINK = '=HYPERLINK("http://evil.example")'


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(uk(2026, 9, 15, 12), tick=False):
        yield


def download(story: Story, name: str, query: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return signed_in(story.world.coordinator).get(
        reverse(name, kwargs={"slug": "university-a"}), YEAR if query is None else query
    )


def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_holds_every_figure(story: Story):
    response = download(story, "reports:export_csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report-university-a-20250901-20260831.csv"'
    rows = csv_rows(response.content)
    assert rows[0] == ["Section", "Item", "Measure", "Value"]
    summary = {measure: value for section, _item, measure, value in rows if section == "Summary"}
    assert summary == {
        "Sessions held": "7",
        "Involvements": "10",
        "Unique volunteers": "3",
        "Hours": "20.50",
        "Did not attend": "2",
        "No-show rate (%)": "16.7",
        "New volunteers": "1",
        "Returning volunteers": "2",
        "Volunteers with 1 session": "0",
        "Volunteers with 2 to 5 sessions": "2",
        "Volunteers with more than 5 sessions": "1",
        "Fees paid (£)": "200.00",
        "Expenses paid (£)": "29.00",
        "Total paid (£)": "229.00",
        "Payments": "7",
        "Claims paid": "5",
        "Median days from claim to payment": "10.0",
        "Student responses": "3",
        "Student average rating (1 to 5)": "4.0",
        "Students who will change their practice": "2",
        "Coordinator responses": "2",
        "Coordinator average rating (1 to 5)": "4.5",
        "Volunteer answers": "3",
        "Volunteers: It went well": "1",
        "Volunteers: Some of it went well, some did not": "1",
        "Volunteers: I found it hard": "1",
        "Volunteers who felt prepared": "2",
        "Volunteers who felt supported": "2",
    }
    october = [row for row in rows if row[:2] == ["By month", "2025-10"]]
    assert october == [
        ["By month", "2025-10", "Sessions", "2"],
        ["By month", "2025-10", "Involvements", "3"],
        ["By month", "2025-10", "Hours", "7.50"],
    ]
    assert len([row for row in rows if row[0] == "By month"]) == 36
    assert [row for row in rows if row[0] == "Reach by experience"] == [
        ["Reach by experience", "Breast cancer", "Volunteers", "2"],
        ["Reach by experience", "Lymphoedema", "Volunteers", "1"],
        ["Reach by experience", "Radiotherapy", "Volunteers", "1"],
        ["Reach by experience", "No experience recorded", "Volunteers", "1"],
    ]
    comments = [row[3] for row in rows if row[0] == "Chosen comments"]
    # The formula is written as text; the script is plain text in a CSV, which never runs it.
    assert comments == [f"'{HYPERLINK}", f"{SCRIPT} Listening matters"]


def test_xlsx_sheets_parse_back_and_nothing_is_a_formula(story: Story):
    response = download(story, "reports:export_xlsx")

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Cache-Control"] == "private, no-store, max-age=0, no-cache, must-revalidate"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["About", "Summary", "By month", "Reach", "Chosen comments"]
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Organisation"] == "University A"
    assert about["From"] == datetime.datetime(2025, 9, 1)
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["Sessions held"], summary["Hours"], summary["Fees paid (£)"]) == (7, 20.5, 200)
    assert summary["Median days from claim to payment"] == 10
    months = list(workbook["By month"].iter_rows(values_only=True))
    assert months[0] == ("Month", "Sessions", "Involvements", "Hours")
    assert months[1:3] == [("2025-09", 1, 2, 4), ("2025-10", 2, 3, 7.5)]
    assert len(months) == 13
    comments = list(workbook["Chosen comments"].iter_rows(min_row=2, values_only=True))
    assert [row[3] for row in comments] == [f"'{HYPERLINK}", f"{SCRIPT} Listening matters"]
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert Decimal(str(summary["Expenses paid (£)"])) == Decimal("29")


def test_network_export_counts_and_never_names(story: Story):
    response = signed_in(story.world.lead).get(reverse("reports:export_csv", kwargs={"slug": "charity-a"}), YEAR)

    rows = csv_rows(response.content)
    about = {measure: value for section, _item, measure, value in rows if section == "About"}
    assert about["Volunteers left out (not sharing their participation)"] == "2"
    text = response.content.decode()
    for name in ("Siân", "Tomás", "Dee Patel", "Eve Jones"):
        assert name not in text


def test_exports_refuse_bad_filters(story: Story):
    bad = {"start": "2026-01-02", "end": "2026-01-01"}

    for name in ("reports:export_csv", "reports:export_xlsx"):
        response = download(story, name, bad)
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "end": ["The end date is before the start date: please choose Friday 2 January 2026 or later."]
        }
