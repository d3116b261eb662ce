"""Schedules as pure rules: office hours ("should this project's deployments be awake at t?",
the next wake and sleep instants) and cron schedules ("when is the next run after t?").

Every function takes the instant it reasons about (an aware datetime), so callers inject the
clock. Wall times are read in the schedule's IANA time zone and turned into instants here, once,
so daylight saving is handled in one place:
- a wall time that happens twice (the repeated hour in autumn) counts once, at its first
  occurrence, so a run is never doubled;
- a wall time that does not exist (the skipped hour in spring) counts at the instant the gap
  ends, so a run that falls into it is late rather than lost; times that exist are never skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from croniter import croniter

from core.errors import InvalidInput

OFFICE_HOURS, NIGHTLY = "office_hours", "nightly"
KINDS = (OFFICE_HOURS, NIGHTLY)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Enough to pass any real DST gap (at most a few hours) minute by minute.
_GAP_SEARCH_MINUTES = 6 * 60
# A cron expression that only ever lands on discarded candidates must not loop forever.
_MAX_CANDIDATES = 10_000


class OfficeHours(msgspec.Struct, frozen=True, kw_only=True):
    """Awake on `days` (0 = Monday) from `start` up to, not including, `end` in `time_zone`."""

    days: frozenset[int]
    start: time
    end: time
    time_zone: str


def check_time_zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """The IANA zone called `name`, or a clear error naming the field."""
    name = name.strip()
    if not name:
        raise InvalidInput("Enter a time zone, such as Europe/Berlin or UTC.", field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"'{name}' is not a known IANA time zone (for example Europe/Berlin or UTC).", field
        ) from None


def check_cron(expression: str, field: str = "cron") -> str:
    """A five-field cron expression (minute hour day-of-month month day-of-week), normalised."""
    fields = expression.split()
    if len(fields) != 5:
        raise InvalidInput(
            "A cron expression has five fields: minute hour day-of-month month day-of-week "
            f"(for example '0 6 * * 1-5'); got {len(fields)}.",
            field,
        )
    normalised = " ".join(fields)
    if not croniter.is_valid(normalised):
        raise InvalidInput(f"'{normalised}' is not a valid cron expression.", field)
    return normalised


def check_days(days: Iterable[int | str], field: str = "days") -> frozenset[int]:
    """Days of the week as 0 (Monday) … 6, from numbers or names such as 'mon'."""
    out: set[int] = set()
    for day in days:
        text = str(day).strip().lower()
        if text in DAY_NAMES:
            out.add(DAY_NAMES.index(text))
        elif text.isdigit() and int(text) < 7:
            out.add(int(text))
        else:
            raise InvalidInput(f"'{day}' is not a day of the week (mon … sun or 0 … 6).", field)
    if not out:
        raise InvalidInput("Choose at least one day.", field)
    return frozenset(out)


def office_hours(days: Iterable[int | str], start: time, end: time, time_zone: str) -> OfficeHours:
    """Validated office hours; the day must start before it ends (no overnight spans)."""
    check_time_zone(time_zone)
    if start >= end:
        raise InvalidInput(
            "The day must start before it ends (for example 08:00 to 19:00).", "end_time"
        )
    return OfficeHours(days=check_days(days), start=start, end=end, time_zone=time_zone.strip())


def is_awake(hours: OfficeHours, at: datetime) -> bool:
    """Whether deployments under these office hours should be running at the instant `at`."""
    local = at.astimezone(ZoneInfo(hours.time_zone))
    return local.weekday() in hours.days and hours.start <= local.time() < hours.end


def next_wake(hours: OfficeHours, after: datetime) -> datetime:
    """The first start of an office day strictly after `after` (UTC)."""
    return _next_daily(hours, hours.start, after)


def next_sleep(hours: OfficeHours, after: datetime) -> datetime:
    """The first end of an office day strictly after `after` (UTC)."""
    return _next_daily(hours, hours.end, after)


def next_run(expression: str, time_zone: str, after: datetime) -> datetime:
    """The first instant strictly after `after` (UTC) at which the cron schedule fires, reading
    the expression in `time_zone`."""
    zone = check_time_zone(time_zone)
    wall = after.astimezone(zone).replace(tzinfo=None)
    # Iterating naive wall times keeps croniter out of DST; `_instant` places each one.
    candidates = croniter(check_cron(expression), wall - timedelta(microseconds=1))
    for _ in range(_MAX_CANDIDATES):
        when = _instant(candidates.get_next(datetime), zone)
        # A repeated hour's wall times were already placed at their first occurrence.
        if when > after:
            return when
    raise InvalidInput(f"'{expression}' never fires.", "cron")


def _next_daily(hours: OfficeHours, wall_time: time, after: datetime) -> datetime:
    zone = ZoneInfo(hours.time_zone)
    day: date = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(9):
        if day.weekday() in hours.days:
            when = _instant(datetime.combine(day, wall_time), zone)
            if when > after:
                return when
        day += timedelta(days=1)
    raise InvalidInput("Choose at least one day.", "days")  # unreachable with checked days


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall time in `zone`: the first occurrence of a repeated time,
    the end of the gap for a skipped one."""
    if _exists(wall, zone):
        return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    probe = wall.replace(second=0, microsecond=0)
    for _ in range(_GAP_SEARCH_MINUTES):
        probe += timedelta(minutes=1)
        if _exists(probe, zone):
            return probe.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # no real zone has such a gap


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    round_trip = wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)
    return round_trip.replace(tzinfo=None) == wall
