"""What a schedule does next to a deployment (issue 20), for the deployment page and lists:
its project's schedules and, unless the project has office hours of its own, its
environment's office hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from core.domain import schedules as rules
from core.services.schedules import next_at, office_hours_of
from core.tables import Schedule


async def next_for_deployment(
    project_id: int, environment_id: int, name: str, state: str, now: datetime | None = None
) -> tuple[str, datetime] | None:
    """What a schedule does next to this deployment, and when: ("wakes", t) for a sleeping one
    under office hours, ("sleeps", t) for a running one, ("is replaced", t) by a nightly run
    of its name; the earliest of them, or None."""
    now = now or datetime.now(UTC)
    one = _Dep(0, project_id, environment_id, name, state)
    return (await next_for_deployments([one], now)).get(0)


class _Dep(NamedTuple):
    id: int
    project_id: int
    environment_id: int
    name: str
    status: str


async def next_for_deployments(
    deployments: Sequence[Any], now: datetime | None = None
) -> dict[int, tuple[str, datetime]]:
    """`next_for_deployment` for a page of deployments (with id, project_id, environment_id,
    name, status): one query for all their projects' and environments' schedules."""
    now = now or datetime.now(UTC)
    projects = sorted({d.project_id for d in deployments})
    if not projects:
        return {}
    envs = sorted({d.environment_id for d in deployments})
    rows = await (
        Schedule.select()
        .where(
            Schedule.enabled.eq(True),
            Schedule.project.is_in(projects)
            | (Schedule.project.is_null() & Schedule.environment.is_in(envs)),
        )
        .order_by(Schedule.id)
        .output(load_json=True)
        .run()
    )
    by_project: dict[int, list[dict[str, Any]]] = {}
    by_env: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["project"] is None:
            by_env.setdefault(row["environment"], []).append(row)
        else:
            by_project.setdefault(row["project"], []).append(row)
    found = {}
    for dep in deployments:
        if dep.status in ("deleting", "deleted"):
            continue
        schedules = effective(
            by_project.get(dep.project_id, []), by_env.get(dep.environment_id, [])
        )
        upcoming = schedules and _next_of(schedules, dep.environment_id, dep.name, dep.status, now)
        if upcoming:
            found[dep.id] = upcoming
    return found


def effective(
    project_rows: list[dict[str, Any]], environment_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The schedules that act on one deployment: its project's, and its environment's office
    hours unless the project has office hours of its own (the project's win)."""
    if any(r["kind"] == rules.OFFICE_HOURS and r["enabled"] for r in project_rows):
        return project_rows
    return project_rows + environment_rows


def _next_of(
    rows: list[dict[str, Any]], environment_id: int, name: str, state: str, now: datetime
) -> tuple[str, datetime] | None:
    found: list[tuple[datetime, str]] = []
    for row in rows:
        if not row["enabled"]:
            continue
        if row["kind"] == rules.OFFICE_HOURS and state in ("sleeping", "running"):
            hours = office_hours_of(row)
            if state == "sleeping":
                found.append((rules.next_wake(hours, now), "wakes"))
            else:
                found.append((rules.next_sleep(hours, now), "sleeps"))
        elif row["environment"] == environment_id and row["deployment_name"] == name:
            found.append((next_at(row, now) or now, "is replaced"))
    if not found:
        return None
    when, what = min(found)
    return what, when
