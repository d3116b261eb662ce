"""Office hours and cron schedules with an injected clock, across both Berlin DST transitions
(2026: clocks go 02:00 → 03:00 on 29 March and 03:00 → 02:00 on 25 October)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from core.domain import schedules as rules
from core.errors import InvalidInput

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs(expression: str, start: datetime, end: datetime, tz: str = BERLIN) -> list[datetime]:
    out, at = [], start
    while True:
        at = rules.next_run(expression, tz, at)
        if at >= end:
            return out
        out.append(at)


def test_nightly_weekday_run_is_at_six_local_in_winter_and_summer():
    # Friday 2026-01-09 07:00 Berlin (UTC+1) → the next weekday run is Monday 06:00 local.
    assert rules.next_run("0 6 * * 1-5", BERLIN, utc(2026, 1, 9, 6)) == utc(2026, 1, 12, 5)
    # In summer (UTC+2) the same wall time is an hour earlier in UTC.
    assert rules.next_run("0 6 * * 1-5", BERLIN, utc(2026, 7, 1, 3)) == utc(2026, 7, 1, 4)


def test_next_run_is_strictly_after_the_instant():
    assert rules.next_run("0 6 * * *", "UTC", utc(2026, 1, 1, 6)) == utc(2026, 1, 2, 6)


def test_autumn_repeated_hour_runs_once():
    # 02:30 happens twice on 25 October; the job runs at the first one only.
    got = runs("30 2 * * *", utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    assert got == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_autumn_every_quarter_hour_never_doubles_a_wall_time():
    got = runs("*/15 * * * *", utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    walls = [t.astimezone(rules.check_time_zone(BERLIN)).replace(tzinfo=None) for t in got]
    assert len(walls) == len(set(walls))
    assert utc(2026, 10, 25, 0, 45) in got and utc(2026, 10, 25, 2, 0) in got


def test_spring_skipped_time_runs_once_when_the_gap_ends():
    # 02:30 does not exist on 29 March; the run happens at 03:00 CEST (01:00 UTC) instead.
    got = runs("30 2 * * *", utc(2026, 3, 28, 12), utc(2026, 3, 30, 12))
    assert got == [utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]


def test_spring_many_skipped_times_collapse_to_one_run():
    got = runs("*/15 2 * * *", utc(2026, 3, 28, 23), utc(2026, 3, 29, 12))
    assert got == [utc(2026, 3, 29, 1, 0)]


def test_spring_existing_times_around_the_gap_are_not_skipped():
    got = runs("0 * * * *", utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 3, 30))
    # 00:00, 01:00 CET then 03:00, 04:00, 05:00 CEST: every hour that exists, once.
    assert got == [utc(2026, 3, 28, 23), utc(2026, 3, 29, 0), utc(2026, 3, 29, 1),
                   utc(2026, 3, 29, 2), utc(2026, 3, 29, 3)]  # fmt: skip


HOURS = rules.office_hours(["mon", "tue", "wed", "thu", "fri"], time(8), time(19), BERLIN)


@pytest.mark.parametrize(
    ("at", "awake"),
    [
        (utc(2026, 1, 12, 7), True),  # Monday 08:00 local: the day starts
        (utc(2026, 1, 12, 6, 59), False),  # Monday 07:59 local
        (utc(2026, 1, 12, 18), False),  # Monday 19:00 local: the end is exclusive
        (utc(2026, 1, 10, 12), False),  # Saturday
        (utc(2026, 7, 13, 6), True),  # summer Monday 08:00 local is 06:00 UTC
    ],
)
def test_office_hours_awake(at, awake):
    assert rules.is_awake(HOURS, at) is awake


def test_next_wake_and_sleep_skip_the_weekend():
    friday_evening = utc(2026, 1, 9, 18, 30)  # 19:30 local
    assert rules.next_wake(HOURS, friday_evening) == utc(2026, 1, 12, 7)
    assert rules.next_sleep(HOURS, utc(2026, 1, 12, 7)) == utc(2026, 1, 12, 18)


def test_next_wake_across_spring_change():
    # Friday 27 March 20:00 CET → Monday 30 March 08:00 CEST (06:00 UTC).
    assert rules.next_wake(HOURS, utc(2026, 3, 27, 19)) == utc(2026, 3, 30, 6)


def test_office_hours_starting_in_a_gap_wake_when_it_ends():
    night = rules.office_hours(["sun"], time(2, 30), time(5), BERLIN)
    assert rules.next_wake(night, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    assert rules.next_wake(night, utc(2026, 3, 29, 1)) == utc(2026, 4, 5, 0, 30)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: rules.check_cron("61 * * * *"), "cron"),
        (lambda: rules.check_cron("0 6 * *"), "cron"),
        (lambda: rules.check_cron("0 0 6 * * *"), "cron"),
        (lambda: rules.check_time_zone("Europe/Atlantis"), "time_zone"),
        (lambda: rules.check_time_zone("../etc/passwd"), "time_zone"),
        (lambda: rules.check_time_zone(""), "time_zone"),
        (lambda: rules.next_run("0 6 * * *", "Mars/Olympus", utc(2026, 1, 1)), "time_zone"),
        (lambda: rules.office_hours(["mon"], time(19), time(8), "UTC"), "end_time"),
        (lambda: rules.office_hours(["someday"], time(8), time(9), "UTC"), "days"),
        (lambda: rules.office_hours([], time(8), time(9), "UTC"), "days"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.field == field
    assert str(caught.value)


def test_cron_is_normalised():
    assert rules.check_cron("  0  6 * *   1-5 ") == "0 6 * * 1-5"


def test_a_long_idle_cron_still_finds_its_run():
    # 29 February only: up to four years ahead.
    got = rules.next_run("0 0 29 2 *", "UTC", utc(2026, 3, 1))
    assert got == utc(2028, 2, 29)
    assert got - utc(2026, 3, 1) > timedelta(days=700)
