"""Dates, times and money are written one way everywhere: "Tuesday 3 March 2026, 10:00–12:00"
and "£12.50", in UK time whatever the server's zone, across the clock changes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import engines

from involvement.formatting import day, moment, money, when

UTC = datetime.UTC
LONDON = ZoneInfo("Europe/London")


def test_a_day_is_written_with_its_weekday_and_no_leading_zero() -> None:
    assert day(datetime.date(2026, 3, 3)) == "Tuesday 3 March 2026"


def test_a_session_on_one_day_is_its_day_and_its_hours_with_an_en_dash() -> None:
    start = datetime.datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # GMT: the same clock as London
    end = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)

    assert when(start, end) == "Tuesday 3 March 2026, 10:00\u201312:00"


def test_times_are_uk_times_in_summer() -> None:
    start = datetime.datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # 10:00 British Summer Time

    assert when(start, start + datetime.timedelta(hours=2)) == "Tuesday 2 June 2026, 10:00\u201312:00"
    assert moment(start) == "Tuesday 2 June 2026, 10:00"


def test_a_session_past_midnight_names_both_days() -> None:
    start = datetime.datetime(2026, 3, 3, 22, 0, tzinfo=LONDON)

    assert when(start, start + datetime.timedelta(hours=4)) == (
        "Tuesday 3 March 2026, 22:00 \u2013 Wednesday 4 March 2026, 02:00"
    )


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("12.5"), "£12.50"),
        (Decimal("1234.5"), "£1,234.50"),
        (Decimal("0.455"), "£0.46"),
        (600, "£600.00"),
        (Decimal("-5"), "\u2212£5.00"),
        (None, ""),
    ],
)
def test_money_is_pounds_and_pence_with_thousands_separated(amount: Decimal | int | None, written: str) -> None:
    assert money(amount) == written


def test_templates_have_the_filters_and_the_tag_without_loading_them() -> None:
    start = datetime.datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    context = {"start": start, "end": start + datetime.timedelta(hours=2), "fee": Decimal("25")}
    source = "{% when start end %} | {{ start|day }} | {{ start|moment }} | {{ fee|money }}"

    for name in ("django", "text"):
        rendered = engines[name].from_string(source).render(context)
        assert rendered == (
            "Tuesday 3 March 2026, 10:00\u201312:00 | Tuesday 3 March 2026 | Tuesday 3 March 2026, 10:00 | £25.00"
        )
