"""Schedules of a project or an environment (issue 20): checked and stored here, run by
core.services.schedule_runs. Full access to the project (or to the environment, for its office
hours) manages them; every change is audited.

When a project and the environment a deployment runs in both have office hours, the project's
win: an environment's hours apply to the deployments of projects without hours of their own."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import msgspec

from core.actor import Actor
from core.domain import schedules as rules
from core.domain.access import Level
from core.domain.tags import compile_pattern
from core.errors import Forbidden, InvalidInput, NotFound
from core.services import access
from core.services.audit import Target, audited
from core.tables import Environment, Project, Schedule
from core.validation import dns_label


class ScheduleInput(msgspec.Struct, kw_only=True):
    kind: str = rules.OFFICE_HOURS
    time_zone: str = "UTC"
    days: list[str] = msgspec.field(default_factory=lambda: list(rules.DAY_NAMES[:5]))
    start_time: str = "08:00"
    end_time: str = "19:00"
    cron: str = ""
    environment_id: int | None = None
    deployment_name: str = "nightly"
    tag_patterns: dict[str, str] = {}
    enabled: bool = True


class ScheduleView(msgspec.Struct, kw_only=True):
    """`next_at`: the next wake or sleep (office hours) or the next run (nightly). `scope`:
    "project" (owned by `project_id`) or "environment" (office hours of `environment_id`)."""

    id: int
    scope: str
    project_id: int | None
    kind: str
    time_zone: str
    days: list[str]
    start_time: str
    end_time: str
    cron: str
    environment_id: int | None
    deployment_name: str
    tag_patterns: dict[str, str]
    enabled: bool
    last_run_at: datetime | None
    next_at: datetime | None


def next_at(row: dict[str, Any], now: datetime) -> datetime | None:
    if not row["enabled"]:
        return None
    if row["kind"] == rules.OFFICE_HOURS:
        hours = office_hours_of(row)
        return min(rules.next_wake(hours, now), rules.next_sleep(hours, now))
    return rules.next_run(row["cron"], row["time_zone"], max(now, row["last_run_at"] or now))


def to_view(row: dict[str, Any], now: datetime | None = None) -> ScheduleView:
    return ScheduleView(
        id=row["id"],
        scope="environment" if row["project"] is None else "project",
        project_id=row["project"],
        kind=row["kind"],
        time_zone=row["time_zone"],
        days=[rules.DAY_NAMES[d] for d in row["days"]],
        start_time=row["start_time"],
        end_time=row["end_time"],
        cron=row["cron"],
        environment_id=row["environment"],
        deployment_name=row["deployment_name"],
        tag_patterns=row["tag_patterns"],
        enabled=row["enabled"],
        last_run_at=row["last_run_at"],
        next_at=next_at(row, now or datetime.now(UTC)),
    )


def parse_time(text: str, field: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text}' is not a time of day such as 08:00.", field) from None


def office_hours_of(row: dict[str, Any]) -> rules.OfficeHours:
    return rules.office_hours(
        row["days"],
        parse_time(row["start_time"], "start_time"),
        parse_time(row["end_time"], "end_time"),
        row["time_zone"],
    )


async def _clean(project_id: int | None, data: ScheduleInput) -> dict[str, Any]:
    if data.kind not in rules.KINDS:
        raise InvalidInput("A schedule is office_hours or nightly.", "kind")
    rules.check_time_zone(data.time_zone)
    values: dict[str, Any] = {"kind": data.kind, "time_zone": data.time_zone.strip()}
    values["enabled"] = data.enabled
    if data.kind == rules.OFFICE_HOURS:
        hours = rules.office_hours(
            data.days,
            parse_time(data.start_time, "start_time"),
            parse_time(data.end_time, "end_time"),
            data.time_zone,
        )
        values["days"] = sorted(hours.days)
        values["start_time"] = hours.start.strftime("%H:%M")
        values["end_time"] = hours.end.strftime("%H:%M")
        return values
    values["cron"] = rules.check_cron(data.cron)
    if (
        data.environment_id is None
        or not await Environment.exists().where(Environment.id == data.environment_id).run()
    ):
        raise InvalidInput(
            "Choose the environment the nightly deployment goes to.", "environment_id"
        )
    values["environment"] = data.environment_id
    values["deployment_name"] = dns_label(data.deployment_name, "deployment_name")
    # An empty pattern means "the service's own pattern".
    patterns = {k: v.strip() for k, v in data.tag_patterns.items() if v.strip()}
    for node_id, pattern in patterns.items():
        compile_pattern(pattern, f"tag_pattern_{node_id}")
    values["tag_patterns"] = patterns
    return values


async def _may_manage(actor: Actor, project_id: int | None, environment_id: int | None) -> None:
    granted = await access.access_for(actor)
    if project_id is not None and granted.project_level(project_id) < Level.FULL:
        raise Forbidden("Only users with full access to the project can manage its schedules.")
    if project_id is None and granted.environment_level(environment_id or 0) < Level.FULL:
        raise Forbidden("Only environment admins can manage its office hours.")


async def create_schedule(actor: Actor, project_id: int, data: ScheduleInput) -> int:
    target = Target("schedule", name=data.kind, project_id=project_id)
    async with audited(actor, "schedule.create", target) as audit:
        await _may_manage(actor, project_id, None)
        if not await Project.exists().where(Project.id == project_id).run():
            raise NotFound("No such project.")
        values = await _clean(project_id, data)
        row = await Schedule.insert(Schedule(project=project_id, **values)).returning(Schedule.id)
        audit.target = Target("schedule", row[0]["id"], data.kind, project_id=project_id)
        return row[0]["id"]


async def create_environment_schedule(
    actor: Actor, environment_id: int, data: ScheduleInput
) -> int:
    """Office hours for every deployment in the environment (of projects without their own)."""
    target = Target("schedule", name=data.kind, environment_id=environment_id)
    async with audited(actor, "schedule.create", target) as audit:
        await _may_manage(actor, None, environment_id)
        if not await Environment.exists().where(Environment.id == environment_id).run():
            raise NotFound("No such environment.")
        if data.kind != rules.OFFICE_HOURS:
            raise InvalidInput("An environment's schedules are office hours.", "kind")
        values = await _clean(None, data)
        row = await Schedule.insert(
            Schedule(project=None, environment=environment_id, **values)
        ).returning(Schedule.id)
        audit.target = Target("schedule", row[0]["id"], data.kind, environment_id=environment_id)
        return row[0]["id"]


def _target(row: dict[str, Any]) -> Target:
    if row["project"] is None:
        return Target("schedule", row["id"], row["kind"], environment_id=row["environment"])
    return Target("schedule", row["id"], row["kind"], project_id=row["project"])


async def update_schedule(actor: Actor, schedule_id: int, data: ScheduleInput) -> None:
    async with audited(actor, "schedule.update", Target("schedule", schedule_id)) as audit:
        old = await schedule_row(schedule_id)
        await _may_manage(actor, old["project"], old["environment"])
        audit.target = _target(old)
        if old["project"] is None and data.kind != rules.OFFICE_HOURS:
            raise InvalidInput("An environment's schedules are office hours.", "kind")
        values = await _clean(old["project"], data)
        if data.kind == rules.OFFICE_HOURS:
            # Office hours name one owner: the project, or else the environment they had.
            values["environment"] = old["environment"] if old["project"] is None else None
        # A changed schedule starts afresh: its next wake, sleep or run counts from now.
        values["last_run_at"] = None
        await Schedule.update(values).where(Schedule.id == schedule_id).run()


async def delete_schedule(actor: Actor, schedule_id: int) -> None:
    async with audited(actor, "schedule.delete", Target("schedule", schedule_id)) as audit:
        old = await schedule_row(schedule_id)
        await _may_manage(actor, old["project"], old["environment"])
        audit.target = _target(old)
        await Schedule.delete().where(Schedule.id == schedule_id).run()


async def schedule_row(schedule_id: int) -> dict[str, Any]:
    row = (
        await Schedule.select()
        .where(Schedule.id == schedule_id)
        .output(load_json=True)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such schedule.")
    return row


async def schedules_of_project(project_id: int) -> list[dict[str, Any]]:
    return (
        await Schedule.select()
        .where(Schedule.project == project_id)
        .order_by(Schedule.id)
        .output(load_json=True)
        .run()
    )


async def schedules_of_environment(environment_id: int) -> list[dict[str, Any]]:
    """The environment's own office hours (not the nightly runs that deploy into it)."""
    return (
        await Schedule.select()
        .where(Schedule.project.is_null(), Schedule.environment == environment_id)
        .order_by(Schedule.id)
        .output(load_json=True)
        .run()
    )
