"""Office hours of an environment and editing schedules, with the real database and an
injected clock (issue 20): an environment's hours act on its deployments unless their project
has hours of its own; editing a schedule moves its next action; who may manage which."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import Forbidden, InvalidInput
from core.services import schedule_next, schedules, teams
from core.services.schedules import ScheduleInput
from core.tables import Schedule

BERLIN = "Europe/Berlin"
NOON = datetime(2026, 1, 12, 11, tzinfo=UTC)  # Monday 12:00 in Berlin


def hours(start: str = "08:00", end: str = "19:00") -> ScheduleInput:
    days = ["mon", "tue", "wed", "thu", "fri"]
    return ScheduleInput(
        kind="office_hours", time_zone=BERLIN, days=days, start_time=start, end_time=end
    )


def berlin(hour: int) -> datetime:
    return datetime(2026, 1, 12, hour - 1, tzinfo=UTC)  # Monday, Berlin is UTC+1 in January


async def next_of(world, state: str = "running"):
    return await schedule_next.next_for_deployment(
        world.project_id, world.env_id, "pr-1", state, NOON
    )


async def test_environment_hours_apply_until_the_project_has_its_own(world):
    await schedules.create_environment_schedule(world.admin, world.env_id, hours())
    assert await next_of(world) == ("sleeps", berlin(19))
    assert await next_of(world, "sleeping") == ("wakes", datetime(2026, 1, 13, 7, tzinfo=UTC))
    # The project's hours win, even when they end later than the environment's.
    own = await schedules.create_schedule(world.admin, world.project_id, hours(end="21:00"))
    assert await next_of(world) == ("sleeps", berlin(21))
    # Editing the project's schedule changes the next action.
    await schedules.update_schedule(world.admin, own, hours(end="18:00"))
    assert await next_of(world) == ("sleeps", berlin(18))
    await schedules.delete_schedule(world.admin, own)
    assert await next_of(world) == ("sleeps", berlin(19))


async def test_editing_environment_hours_moves_the_next_sleep(world):
    made = await schedules.create_environment_schedule(world.admin, world.env_id, hours())
    await schedules.update_schedule(world.admin, made, hours(end="17:30"))
    assert await next_of(world) == ("sleeps", datetime(2026, 1, 12, 16, 30, tzinfo=UTC))
    (row,) = await schedules.schedules_of_environment(world.env_id)
    assert (row["project"], row["environment"], row["end_time"]) == (None, world.env_id, "17:30")
    view = schedules.to_view(row, NOON)
    assert view.scope == "environment" and view.environment_id == world.env_id


async def test_an_environment_has_office_hours_only(world):
    nightly = ScheduleInput(kind="nightly", cron="0 6 * * *", environment_id=world.env_id)
    with pytest.raises(InvalidInput) as refused:
        await schedules.create_environment_schedule(world.admin, world.env_id, nightly)
    assert refused.value.field == "kind"
    made = await schedules.create_environment_schedule(world.admin, world.env_id, hours())
    with pytest.raises(InvalidInput) as refused:
        await schedules.update_schedule(world.admin, made, nightly)
    assert refused.value.field == "kind"


async def test_bad_edits_are_refused_naming_the_field_and_change_nothing(world):
    made = await schedules.create_schedule(world.admin, world.project_id, hours())
    for bad, field in (
        (hours(start="19:00", end="08:00"), "end_time"),
        (ScheduleInput(kind="office_hours", time_zone="Europe/Atlantis"), "time_zone"),
        (ScheduleInput(kind="nightly", cron="0 25 * * *", environment_id=world.env_id), "cron"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await schedules.update_schedule(world.admin, made, bad)
        assert refused.value.field == field
    row = await schedules.schedule_row(made)
    assert (row["kind"], row["end_time"], row["time_zone"]) == ("office_hours", "19:00", BERLIN)


async def test_a_nightly_edited_into_office_hours_keeps_one_owner(world):
    nightly = ScheduleInput(kind="nightly", cron="0 6 * * *", environment_id=world.env_id)
    made = await schedules.create_schedule(world.admin, world.project_id, nightly)
    await schedules.update_schedule(world.admin, made, hours())
    row = await schedules.schedule_row(made)
    assert (row["kind"], row["project"], row["environment"]) == (
        "office_hours",
        world.project_id,
        None,
    )


async def test_full_access_manages_schedules_read_access_does_not(world):
    env_hours = await schedules.create_environment_schedule(world.admin, world.env_id, hours())
    project_hours = await schedules.create_schedule(world.admin, world.project_id, hours())
    with pytest.raises(Forbidden):
        await schedules.create_environment_schedule(world.user, world.env_id, hours())
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "read")
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    with pytest.raises(Forbidden):
        await schedules.update_schedule(world.user, env_hours, hours(end="18:00"))
    with pytest.raises(Forbidden):
        await schedules.update_schedule(world.user, project_hours, hours(end="18:00"))

    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "full")
    await schedules.update_schedule(world.user, env_hours, hours(end="18:00"))
    await schedules.create_environment_schedule(world.user, world.env_id, hours(end="12:00"))
    with pytest.raises(Forbidden):  # full on the environment is not full on the project
        await schedules.delete_schedule(world.user, project_hours)
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "full")
    await schedules.delete_schedule(world.user, project_hours)
    assert await Schedule.count().run() == 2
