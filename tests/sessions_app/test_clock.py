"""sessions_app.clock: UK wall-clock times, including the nights the clocks change."""

from __future__ import annotations

import datetime

import pytest

from sessions_app.clock import ClockError, london_datetime, same_wall_time_days_before

UTC = datetime.UTC


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# london_datetime


@pytest.mark.parametrize(
    ("day", "time", "expected_utc"),
    [
        # Winter (GMT): UK time is UTC.
        (datetime.date(2026, 1, 15), datetime.time(10, 0), utc(2026, 1, 15, 10, 0)),
        (datetime.date(2026, 12, 1), datetime.time(23, 45), utc(2026, 12, 1, 23, 45)),
        # Summer (BST): UK time is an hour ahead of UTC.
        (datetime.date(2026, 7, 1), datetime.time(10, 0), utc(2026, 7, 1, 9, 0)),
        (datetime.date(2026, 6, 1), datetime.time(0, 30), utc(2026, 5, 31, 23, 30)),
    ],
)
def test_london_datetime_normal_times(day: datetime.date, time: datetime.time, expected_utc: datetime.datetime) -> None:
    moment = london_datetime(day, time)

    assert moment.astimezone(UTC) == expected_utc
    assert (moment.date(), moment.time()) == (day, time)


@pytest.mark.parametrize("time", [datetime.time(1, 0), datetime.time(1, 30), datetime.time(1, 59)])
def test_london_datetime_time_skipped_when_clocks_go_forward_is_refused(time: datetime.time) -> None:
    with pytest.raises(ClockError) as raised:
        london_datetime(datetime.date(2026, 3, 29), time)

    assert str(raised.value) == (
        f"{time:%H:%M} does not exist on Sunday 29 March 2026: the clocks go forward an hour that night. "
        "Please choose another time."
    )


def test_london_datetime_0130_on_29_march_2026_message() -> None:
    with pytest.raises(ClockError) as raised:
        london_datetime(datetime.date(2026, 3, 29), datetime.time(1, 30))

    assert str(raised.value) == (
        "01:30 does not exist on Sunday 29 March 2026: the clocks go forward an hour that night."
        " Please choose another time."
    )


@pytest.mark.parametrize("time", [datetime.time(1, 0), datetime.time(1, 30), datetime.time(1, 59)])
def test_london_datetime_time_repeated_when_clocks_go_back_is_refused(time: datetime.time) -> None:
    with pytest.raises(ClockError) as raised:
        london_datetime(datetime.date(2026, 10, 25), time)

    assert str(raised.value) == (
        f"{time:%H:%M} happens twice on Sunday 25 October 2026: the clocks go back an hour that night. "
        "Please choose another time."
    )


def test_london_datetime_0130_on_25_october_2026_message() -> None:
    with pytest.raises(ClockError) as raised:
        london_datetime(datetime.date(2026, 10, 25), datetime.time(1, 30))

    assert str(raised.value) == (
        "01:30 happens twice on Sunday 25 October 2026: the clocks go back an hour that night."
        " Please choose another time."
    )


def test_london_datetime_clock_error_is_a_value_error() -> None:
    """Forms may catch ValueError as well as ClockError; both work."""
    assert issubclass(ClockError, ValueError)


@pytest.mark.parametrize(
    ("day", "time", "expected_utc"),
    [
        # The night the clocks go forward: 00:59 is still GMT, 02:00 is already BST.
        (datetime.date(2026, 3, 29), datetime.time(0, 59), utc(2026, 3, 29, 0, 59)),
        (datetime.date(2026, 3, 29), datetime.time(2, 0), utc(2026, 3, 29, 1, 0)),
        (datetime.date(2026, 3, 29), datetime.time(10, 0), utc(2026, 3, 29, 9, 0)),
        # The night they go back: 00:59 is still BST, 02:00 is already GMT.
        (datetime.date(2026, 10, 25), datetime.time(0, 59), utc(2026, 10, 24, 23, 59)),
        (datetime.date(2026, 10, 25), datetime.time(2, 0), utc(2026, 10, 25, 2, 0)),
        (datetime.date(2026, 10, 25), datetime.time(10, 0), utc(2026, 10, 25, 10, 0)),
        # 01:30 on the days either side is an ordinary time.
        (datetime.date(2026, 3, 28), datetime.time(1, 30), utc(2026, 3, 28, 1, 30)),
        (datetime.date(2026, 3, 30), datetime.time(1, 30), utc(2026, 3, 30, 0, 30)),
        (datetime.date(2026, 10, 24), datetime.time(1, 30), utc(2026, 10, 24, 0, 30)),
        (datetime.date(2026, 10, 26), datetime.time(1, 30), utc(2026, 10, 26, 1, 30)),
    ],
)
def test_london_datetime_around_the_clock_changes_is_fine(
    day: datetime.date, time: datetime.time, expected_utc: datetime.datetime
) -> None:
    assert london_datetime(day, time).astimezone(UTC) == expected_utc


# same_wall_time_days_before


def test_same_wall_time_days_before_across_clocks_going_forward() -> None:
    """A 10:00 session on Tuesday 31 March 2026 (BST, 09:00 UTC): a week before is 10:00 GMT, 10:00 UTC."""
    session = london_datetime(datetime.date(2026, 3, 31), datetime.time(10, 0))
    assert session.astimezone(UTC) == utc(2026, 3, 31, 9, 0)

    week_before = same_wall_time_days_before(session, 7)
    day_before = same_wall_time_days_before(session, 1)

    assert week_before == utc(2026, 3, 24, 10, 0)
    assert session - week_before == datetime.timedelta(days=7, hours=-1)
    assert day_before == utc(2026, 3, 30, 9, 0)
    assert week_before.tzinfo == UTC


def test_same_wall_time_days_before_across_clocks_going_back() -> None:
    """A 10:00 session on Tuesday 27 October 2026 (GMT, 10:00 UTC): a week before is 10:00 BST, 09:00 UTC."""
    session = london_datetime(datetime.date(2026, 10, 27), datetime.time(10, 0))
    assert session.astimezone(UTC) == utc(2026, 10, 27, 10, 0)

    week_before = same_wall_time_days_before(session, 7)
    day_before = same_wall_time_days_before(session, 1)

    assert week_before == utc(2026, 10, 20, 9, 0)
    assert session - week_before == datetime.timedelta(days=7, hours=1)
    assert day_before == utc(2026, 10, 26, 10, 0)


def test_same_wall_time_days_before_the_day_after_each_change() -> None:
    """A day before a session the morning after a change is the change day itself, same wall time."""
    spring = london_datetime(datetime.date(2026, 3, 30), datetime.time(10, 0))
    autumn = london_datetime(datetime.date(2026, 10, 26), datetime.time(10, 0))

    assert same_wall_time_days_before(spring, 1) == utc(2026, 3, 29, 9, 0)
    assert spring - same_wall_time_days_before(spring, 1) == datetime.timedelta(hours=24)
    assert same_wall_time_days_before(autumn, 1) == utc(2026, 10, 25, 10, 0)
    # The change day is 23 hours long in spring and 25 in autumn; the wall time stays 10:00.
    assert same_wall_time_days_before(london_datetime(datetime.date(2026, 3, 29), datetime.time(10, 0)), 1) == utc(
        2026, 3, 28, 10, 0
    )
    assert same_wall_time_days_before(london_datetime(datetime.date(2026, 10, 25), datetime.time(10, 0)), 1) == utc(
        2026, 10, 24, 9, 0
    )


@pytest.mark.parametrize(
    ("session_utc", "days", "expected_utc"),
    [
        # No change in between: exactly 24-hour blocks.
        (utc(2026, 2, 10, 14, 30), 7, utc(2026, 2, 3, 14, 30)),
        (utc(2026, 7, 10, 13, 30), 7, utc(2026, 7, 3, 13, 30)),
        (utc(2026, 7, 10, 13, 30), 1, utc(2026, 7, 9, 13, 30)),
    ],
)
def test_same_wall_time_days_before_without_a_change(
    session_utc: datetime.datetime, days: int, expected_utc: datetime.datetime
) -> None:
    assert same_wall_time_days_before(session_utc, days) == expected_utc


def test_same_wall_time_days_before_accepts_any_aware_time_zone() -> None:
    """The UK wall time is what counts, whatever zone the moment is given in."""
    in_utc = utc(2026, 3, 31, 9, 0)
    in_new_york = in_utc.astimezone(datetime.timezone(datetime.timedelta(hours=-4)))

    assert same_wall_time_days_before(in_new_york, 7) == same_wall_time_days_before(in_utc, 7) == utc(2026, 3, 24, 10)
