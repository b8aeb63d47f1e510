"""Clock maths on plain schedules: no database needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from storedesk.routing.business_hours import (
    Schedule,
    ScheduleNeverOpensError,
    business_seconds_between,
    business_time_add,
    is_open,
    next_open,
    schedule_build,
)
from storedesk.routing.tests.factories import OFFICE_WEEK

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOUR = 3600


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def office(*holidays: date) -> Schedule:
    """Mon-Fri 09-12 and 13-17 in Stockholm. 2026-03-16 is a Monday."""
    return schedule_build(time_zone=STOCKHOLM, intervals=OFFICE_WEEK, holidays=holidays)


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        pytest.param(local(2026, 3, 16, 10), 2 * HOUR, local(2026, 3, 16, 12), id="within_morning"),
        pytest.param(local(2026, 3, 16, 11), 2 * HOUR, local(2026, 3, 16, 14), id="lunch_break"),
        pytest.param(local(2026, 3, 16, 16), 2 * HOUR, local(2026, 3, 17, 10), id="overnight"),
        pytest.param(local(2026, 3, 20, 16), 2 * HOUR, local(2026, 3, 23, 10), id="weekend"),
        pytest.param(local(2026, 3, 16, 7), HOUR, local(2026, 3, 16, 10), id="before_opening"),
        pytest.param(local(2026, 3, 21, 12), HOUR, local(2026, 3, 23, 10), id="on_saturday"),
        pytest.param(local(2026, 3, 16, 12, 30), 1800, local(2026, 3, 16, 13, 30), id="at_lunch"),
        pytest.param(local(2026, 3, 16, 9), 7 * HOUR, local(2026, 3, 16, 17), id="ends_at_close"),
        pytest.param(local(2026, 3, 16, 9), 35 * HOUR, local(2026, 3, 20, 17), id="whole_week"),
    ],
)
def test_add(start: datetime, seconds: int, expected: datetime) -> None:
    result = business_time_add(schedule=office(), start=start, seconds=seconds)

    assert result == expected
    assert result.tzinfo == STOCKHOLM


def test_add_skips_holiday() -> None:
    schedule = office(date(2026, 3, 23))

    result = business_time_add(schedule=schedule, start=local(2026, 3, 20, 16), seconds=2 * HOUR)

    assert result == local(2026, 3, 24, 10)


def test_add_accepts_any_zone_and_answers_in_the_schedules() -> None:
    start = datetime(2026, 3, 20, 15, tzinfo=UTC)  # 16:00 in Stockholm (CET)

    result = business_time_add(schedule=office(), start=start, seconds=2 * HOUR)

    assert result == local(2026, 3, 23, 10)
    assert result.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(local(2026, 3, 16, 10, 15), local(2026, 3, 16, 10, 15), id="open"),
        pytest.param(local(2026, 3, 16, 17), local(2026, 3, 17, 9), id="at_closing"),
        pytest.param(local(2026, 3, 16, 12), local(2026, 3, 16, 13), id="lunch"),
        pytest.param(local(2026, 3, 22, 23), local(2026, 3, 23, 9), id="sunday_night"),
    ],
)
def test_zero_target_is_next_opening(start: datetime, expected: datetime) -> None:
    assert business_time_add(schedule=office(), start=start, seconds=0) == expected
    assert next_open(office(), start) == expected


class TestDaylightSaving:
    """Stockholm: clocks go forward 2026-03-29 02:00 and back 2026-10-25 03:00."""

    def test_weekday_hours_across_spring_change(self) -> None:
        result = business_time_add(
            schedule=office(), start=local(2026, 3, 27, 16), seconds=2 * HOUR
        )

        assert result == local(2026, 3, 30, 10)
        assert result.astimezone(UTC) == datetime(2026, 3, 30, 8, tzinfo=UTC)

    def test_weekday_hours_across_autumn_change(self) -> None:
        result = business_time_add(
            schedule=office(), start=local(2026, 10, 23, 16), seconds=2 * HOUR
        )

        assert result == local(2026, 10, 26, 10)
        assert result.astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("start", "expected_wall_clock"),
        [
            # 24 elapsed hours over a 23-hour day end an hour later on the clock.
            pytest.param(local(2026, 3, 28, 12), local(2026, 3, 29, 13), id="spring"),
            # ... and over a 25-hour day an hour earlier.
            pytest.param(local(2026, 10, 24, 12), local(2026, 10, 25, 11), id="autumn"),
        ],
    )
    def test_always_open_counts_elapsed_time(
        self, start: datetime, expected_wall_clock: datetime
    ) -> None:
        result = business_time_add(
            schedule=Schedule.always_open(STOCKHOLM), start=start, seconds=24 * HOUR
        )

        assert result.replace(tzinfo=None) == expected_wall_clock.replace(tzinfo=None)
        assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)

    @pytest.mark.parametrize(
        ("day", "hours"),
        [
            pytest.param(date(2026, 3, 29), 2, id="spring"),
            pytest.param(date(2026, 10, 25), 4, id="autumn"),
        ],
    )
    def test_window_over_the_change_lasts_its_real_length(self, day: date, hours: int) -> None:
        # Sunday 01:00-04:00 spans the jump in both directions.
        schedule = schedule_build(time_zone=STOCKHOLM, intervals=[(6, time(1), time(4))])
        start = datetime.combine(day, time(0), tzinfo=STOCKHOLM)

        assert business_seconds_between(schedule, start, start + timedelta(hours=6)) == hours * HOUR
        assert business_time_add(schedule=schedule, start=start, seconds=hours * HOUR).astimezone(
            UTC
        ) == datetime.combine(day, time(4), tzinfo=STOCKHOLM).astimezone(UTC)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(local(2026, 3, 16, 9), True, id="opening_instant"),
        pytest.param(local(2026, 3, 16, 16, 59), True, id="before_close"),
        pytest.param(local(2026, 3, 16, 17), False, id="closing_instant"),
        pytest.param(local(2026, 3, 16, 12, 30), False, id="lunch"),
        pytest.param(local(2026, 3, 21, 10), False, id="saturday"),
        pytest.param(local(2026, 3, 23, 10), False, id="holiday"),
    ],
)
def test_is_open(at: datetime, expected: bool) -> None:
    assert is_open(office(date(2026, 3, 23)), at) is expected


def test_interval_closing_at_midnight_runs_to_the_end_of_the_day() -> None:
    schedule = schedule_build(time_zone=STOCKHOLM, intervals=[(0, time(18), time(0))])

    assert is_open(schedule, local(2026, 3, 16, 23, 59))
    assert not is_open(schedule, local(2026, 3, 17, 0))
    assert business_time_add(schedule=schedule, start=local(2026, 3, 16, 23), seconds=2 * HOUR) == (
        local(2026, 3, 23, 19)
    )


def test_overlapping_intervals_are_not_counted_twice() -> None:
    schedule = schedule_build(
        time_zone=STOCKHOLM, intervals=[(0, time(9), time(12)), (0, time(11), time(14))]
    )

    assert (
        business_seconds_between(schedule, local(2026, 3, 16, 0), local(2026, 3, 17, 0)) == 5 * HOUR
    )


def test_seconds_between_skips_lunch_night_and_weekend() -> None:
    seconds = business_seconds_between(office(), local(2026, 3, 20, 11), local(2026, 3, 23, 10))

    assert seconds == (1 + 4 + 1) * HOUR


def test_seconds_between_reversed_is_zero() -> None:
    assert business_seconds_between(office(), local(2026, 3, 17, 10), local(2026, 3, 16, 10)) == 0


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_time_add(schedule=office(), start=datetime(2026, 3, 16, 10), seconds=0)  # noqa: DTZ001


def test_negative_seconds_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        business_time_add(schedule=office(), start=local(2026, 3, 16, 10), seconds=-1)


def test_schedule_that_never_opens_fails_loudly() -> None:
    with pytest.raises(ScheduleNeverOpensError):
        business_time_add(
            schedule=Schedule(time_zone=STOCKHOLM), start=local(2026, 3, 16, 10), seconds=HOUR
        )
