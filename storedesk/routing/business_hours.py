"""Business-time clock maths. Pure: no database, no settings, no "now".

A `Schedule` is a weekly pattern of local opening intervals plus closed local dates, read
in one time zone. Business time is *elapsed* time inside opening windows: on the night
the clocks go forward, a 01:00-04:00 window lasts two real hours, and on the night they go
back it lasts four. Every sum and difference is therefore done in UTC, because Python
subtracts two datetimes sharing one tzinfo by wall clock and would get DST nights wrong.
See docs/subsystems/sla-clock.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)
# A schedule that stays shut this long (closed weekdays, holidays) is treated as broken
# rather than searched forever.
MAX_CLOSED_DAYS = 400


class ScheduleNeverOpensError(ValueError):
    """The schedule has no opening within MAX_CLOSED_DAYS of the asked instant."""


@dataclass(frozen=True)
class Interval:
    """Local opening time on one weekday. `closes_at` 00:00 means the following midnight."""

    opens_at: time
    closes_at: time

    @property
    def start(self) -> timedelta:
        return timedelta(hours=self.opens_at.hour, minutes=self.opens_at.minute)

    @property
    def end(self) -> timedelta:
        if self.closes_at == time(0):
            return ONE_DAY
        return timedelta(hours=self.closes_at.hour, minutes=self.closes_at.minute)


@dataclass(frozen=True)
class Schedule:
    time_zone: ZoneInfo
    # weekday (0 = Monday) -> intervals; a missing weekday is closed all day.
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def always_open(cls, time_zone: ZoneInfo) -> Schedule:
        full_day = (Interval(time(0), time(0)),)
        return cls(time_zone=time_zone, weekly={day: full_day for day in range(7)})

    @property
    def has_openings(self) -> bool:
        return any(
            interval.end > interval.start for ivs in self.weekly.values() for interval in ivs
        )


def schedule_build(
    *,
    time_zone: ZoneInfo,
    intervals: Iterable[tuple[int, time, time]],
    holidays: Iterable[date] = (),
) -> Schedule:
    """A Schedule from (weekday, opens_at, closes_at) rows, in any order."""
    weekly: dict[int, list[Interval]] = {}
    for weekday, opens_at, closes_at in intervals:
        weekly.setdefault(weekday, []).append(Interval(opens_at, closes_at))
    return Schedule(
        time_zone=time_zone,
        weekly={day: tuple(ivs) for day, ivs in weekly.items()},
        holidays=frozenset(holidays),
    )


def _merged(intervals: Iterable[Interval]) -> list[tuple[timedelta, timedelta]]:
    """Offsets from local midnight, sorted, with overlapping or touching intervals joined."""
    merged: list[tuple[timedelta, timedelta]] = []
    for start, end in sorted((iv.start, iv.end) for iv in intervals if iv.end > iv.start):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _windows_on(schedule: Schedule, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The opening windows of one local date, as UTC instants."""
    if day in schedule.holidays:
        return
    midnight = datetime.combine(day, time(0), tzinfo=schedule.time_zone)
    for start, end in _merged(schedule.weekly.get(day.weekday(), ())):
        # Wall-clock addition, then the zone's offset for that wall time; a time inside the
        # spring-forward gap resolves to the instant just after the jump.
        yield (midnight + start).astimezone(UTC), (midnight + end).astimezone(UTC)


def _windows_from(schedule: Schedule, at: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Windows that end after `at`, in order, for as long as the schedule keeps opening."""
    _require_aware(at)
    at_utc = at.astimezone(UTC)
    day = at.astimezone(schedule.time_zone).date()
    closed_days = 0
    while closed_days <= MAX_CLOSED_DAYS:
        found = False
        for start, end in _windows_on(schedule, day):
            found = True
            if end > at_utc and end > start:
                yield start, end
        closed_days = 0 if found else closed_days + 1
        day += ONE_DAY
    raise ScheduleNeverOpensError(f"no opening within {MAX_CLOSED_DAYS} days of {at}")


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("business-time maths needs an aware datetime")


def business_time_add(*, schedule: Schedule, start: datetime, seconds: int) -> datetime:
    """The instant `seconds` of business time after `start`, in the schedule's zone.

    Zero seconds gives `start` when open, else the next opening. The result never falls on
    a closing instant unless the time runs out exactly there.
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = timedelta(seconds=seconds)
    start_utc = start.astimezone(UTC)
    for window_start, window_end in _windows_from(schedule, start):
        begin = max(window_start, start_utc)
        if remaining <= window_end - begin:
            return (begin + remaining).astimezone(schedule.time_zone)
        remaining -= window_end - begin
    raise AssertionError("unreachable: _windows_from raises when the schedule never opens")


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether `at` lies inside an opening window (opening instant in, closing instant out)."""
    _require_aware(at)
    at_utc = at.astimezone(UTC)
    # Windows never run past their date's following midnight, so only `at`'s date matters.
    day = at.astimezone(schedule.time_zone).date()
    return any(start <= at_utc < end for start, end in _windows_on(schedule, day))


def next_open(schedule: Schedule, at: datetime) -> datetime:
    """`at` itself when open, else the start of the next opening window."""
    return business_time_add(schedule=schedule, start=at, seconds=0)


def business_seconds_between(schedule: Schedule, start: datetime, end: datetime) -> int:
    """Business seconds inside [start, end); zero when end is not after start."""
    _require_aware(start)
    _require_aware(end)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(schedule.time_zone).date()
    last_day = end.astimezone(schedule.time_zone).date()
    total = timedelta()
    while day <= last_day:
        for window_start, window_end in _windows_on(schedule, day):
            overlap = min(window_end, end_utc) - max(window_start, start_utc)
            total += max(overlap, timedelta())
        day += ONE_DAY
    return int(total.total_seconds())
