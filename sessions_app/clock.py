"""UK wall-clock times: sessions are entered and shown in Europe/London, on the 24-hour clock."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from involvement import formatting

LONDON = ZoneInfo(settings.TIME_ZONE)


class ClockError(ValueError):
    """A wall-clock time that does not exist, or happens twice, in the UK on that day."""


def london_datetime(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware moment ``day`` at ``time`` in the UK.

    Raises ClockError for a time skipped when the clocks go forward (01:00–01:59 on the last
    Sunday of March) or repeated when they go back (01:00–01:59 on the last Sunday of October).
    """
    naive = datetime.datetime.combine(day, time)
    first = naive.replace(tzinfo=LONDON, fold=0)
    second = naive.replace(tzinfo=LONDON, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Both folds give different offsets: either the hour happens twice (clocks go back) or
        # never (clocks go forward). A round trip through UTC tells them apart.
        round_trip = first.astimezone(datetime.UTC).astimezone(LONDON).replace(tzinfo=None)
        if round_trip != naive:
            raise ClockError(
                f"{time:%H:%M} does not exist on {formatting.day(day)}: the clocks go forward an hour that night. "
                "Please choose another time."
            )
        raise ClockError(
            f"{time:%H:%M} happens twice on {formatting.day(day)}: the clocks go back an hour that night. "
            "Please choose another time."
        )
    return first


def same_wall_time_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """``moment`` moved back ``days`` days on the UK wall clock (not by 24-hour blocks), so a
    reminder "a week before a 10:00 session" comes at 10:00 even across a change of the clocks."""
    local = moment.astimezone(LONDON)
    earlier = (local.replace(tzinfo=None) - datetime.timedelta(days=days)).replace(tzinfo=LONDON, fold=0)
    return earlier.astimezone(datetime.UTC)
