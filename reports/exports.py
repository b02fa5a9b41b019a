"""A report as rows, for the CSV and XLSX downloads. Both go through the project's one
neutralising writer (``involvement.exports``), so a comment a student typed as ``=HYPERLINK(...)``
is text in either.

The CSV is one table in long form (section, item, measure, value), which any tool can read back;
the XLSX has a sheet per section.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from involvement.exports import Sheet
from reports.selectors import Report

CSV_HEADER = ["Section", "Item", "Measure", "Value"]
MONTH_HEADER = ["Month", "Sessions", "Involvements", "Hours"]


def about_rows(report: Report) -> list[tuple[str, Any]]:
    scope = report.scope
    rows: list[tuple[str, Any]] = [
        ("Organisation", scope.organisation.name),
        ("From", scope.period.start),
        ("To", scope.period.end),
        ("University", scope.university.name if scope.university else "All"),
        ("Programme", str(scope.programme) if scope.programme else "All"),
        ("Module", str(scope.module) if scope.module else "All"),
        ("Kind of involvement", scope.kind or "All"),
    ]
    if report.left_out is not None:
        rows.append(("Volunteers left out (not sharing their participation)", report.left_out))
    return rows


def summary_rows(report: Report) -> list[tuple[str, Any]]:
    summary, money, feedback = report.summary, report.money, report.feedback
    return [
        ("Sessions held", summary.sessions),
        ("Involvements", summary.involvements),
        ("Unique volunteers", summary.volunteers),
        ("Hours", summary.hours),
        ("Did not attend", summary.no_shows),
        ("No-show rate (%)", _blank(summary.no_show_rate)),
        ("New volunteers", summary.new_volunteers),
        ("Returning volunteers", summary.returning_volunteers),
        ("Volunteers with 1 session", summary.one_session),
        ("Volunteers with 2 to 5 sessions", summary.two_to_five),
        ("Volunteers with more than 5 sessions", summary.more_than_five),
        ("Fees paid (£)", money.fees),
        ("Expenses paid (£)", money.expenses),
        ("Total paid (£)", money.total),
        ("Payments", money.payments),
        ("Claims paid", money.claims_paid),
        ("Median days from claim to payment", _blank(money.median_days_to_payment)),
        ("Student responses", feedback.student_responses),
        ("Student average rating (1 to 5)", _blank(feedback.student_average)),
        ("Students who will change their practice", feedback.students_changing_practice),
        ("Coordinator responses", feedback.coordinator_responses),
        ("Coordinator average rating (1 to 5)", _blank(feedback.coordinator_average)),
        ("Volunteer answers", feedback.volunteer_answers),
        *((f"Volunteers: {row.label}", row.volunteers) for row in feedback.how_it_went),
        ("Volunteers who felt prepared", feedback.felt_prepared),
        ("Volunteers who felt supported", feedback.felt_supported),
    ]


def month_rows(report: Report) -> list[tuple[str, int, int, Decimal]]:
    return [(f"{row.month:%Y-%m}", row.sessions, row.involvements, row.hours) for row in report.months]


def reach_rows(report: Report) -> list[tuple[str, str, int, Any]]:
    rows: list[tuple[str, str, int, Any]] = [
        ("Perspective", row.label, row.volunteers, row.involvements) for row in report.reach.perspectives
    ]
    rows += [("Experience", row.label, row.volunteers, "") for row in report.reach.tags]
    rows.append(("Experience", "No experience recorded", report.reach.untagged, ""))
    return rows


def comment_rows(report: Report) -> list[tuple[str, str, int, str]]:
    return [
        (
            f"{timezone.localtime(response.session.starts_at):%Y-%m-%d}",
            response.session.title,
            response.rating,
            response.learned,
        )
        for response in report.feedback.comments
    ]


def csv_rows(report: Report) -> Iterable[tuple[Any, ...]]:
    """Every figure as (section, item, measure, value)."""
    for measure, value in about_rows(report):
        yield ("About", "", measure, value)
    for measure, value in summary_rows(report):
        yield ("Summary", "", measure, value)
    for month, sessions, involvements, hours in month_rows(report):
        yield ("By month", month, "Sessions", sessions)
        yield ("By month", month, "Involvements", involvements)
        yield ("By month", month, "Hours", hours)
    for group, label, volunteers, involvements in reach_rows(report):
        yield (f"Reach by {group.lower()}", label, "Volunteers", volunteers)
        if involvements != "":
            yield (f"Reach by {group.lower()}", label, "Involvements", involvements)
    for day, title, rating, learned in comment_rows(report):
        yield ("Chosen comments", f"{day} {title}", f"Rating {rating}", learned)


def xlsx_sheets(report: Report) -> list[Sheet]:
    return [
        Sheet("About", ["Filter", "Value"], about_rows(report)),
        Sheet("Summary", ["Measure", "Value"], summary_rows(report)),
        Sheet("By month", MONTH_HEADER, month_rows(report)),
        Sheet("Reach", ["Group", "Item", "Volunteers", "Involvements"], reach_rows(report)),
        Sheet("Chosen comments", ["Session date", "Session", "Rating", "What they learned"], comment_rows(report)),
    ]


def filename(report: Report, extension: str) -> str:
    scope = report.scope
    return f"report-{scope.organisation.slug}-{scope.period.start:%Y%m%d}-{scope.period.end:%Y%m%d}.{extension}"


def _blank(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value
