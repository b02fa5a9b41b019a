"""The periods reports cover: academic years (1 September to 31 August), the months between two
days, and the bounds of a range of UK days as moments."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from involvement import formatting

# The longest range a report may cover.
MAX_YEARS = 5


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both UK days and both included."""

    start: datetime.date
    end: datetime.date

    @property
    def starts_at(self) -> datetime.datetime:
        """The first moment of ``start``, UK time."""
        return day_start(self.start)

    @property
    def ends_before(self) -> datetime.datetime:
        """The first moment after ``end``, UK time."""
        return day_start(self.end + datetime.timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{formatting.day(self.start)} to {formatting.day(self.end)}"

    def months(self) -> list[datetime.date]:
        """The first day of every month the period touches, in order."""
        month = self.start.replace(day=1)
        months = []
        while month <= self.end:
            months.append(month)
            month += relativedelta(months=1)
        return months


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def academic_year_start(day: datetime.date) -> int:
    """The year in which the academic year holding ``day`` began (on 1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year(start_year: int) -> Period:
    """1 September ``start_year`` to 31 August of the next year."""
    return Period(datetime.date(start_year, 9, 1), datetime.date(start_year + 1, 8, 31))


def academic_year_label(start_year: int) -> str:
    """ "2025/26", as programmes name their year."""
    return f"{start_year}/{str(start_year + 1)[-2:]}"


def current_academic_year(today: datetime.date | None = None) -> Period:
    return academic_year(academic_year_start(today or timezone.localdate()))


def latest_end(start: datetime.date) -> datetime.date:
    """The last day a range from ``start`` may end on: five years, less a day, later."""
    return start + relativedelta(years=MAX_YEARS) - datetime.timedelta(days=1)


def parse_academic_year(label: str) -> int | None:
    """The start year of a programme's academic year label ("2026/27"), or None."""
    head = label.split("/", 1)[0].strip()
    return int(head) if head.isdigit() and len(head) == 4 else None
