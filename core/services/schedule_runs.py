"""Running schedules (issue 20), once a minute from the SAQ cron with the clock passed in.

Office hours act on their transitions only: when a day starts or ends after the schedule last
acted, its project's deployments are woken or put to sleep (through core.services.naps, which
owns those status moves). An environment's office hours act on the deployments in it whose
project has no office hours of its own: the project's hours win.

Between transitions nothing is forced, so a deployment someone wakes by a request in the
evening stays up until it idles or the next day ends.

A nightly schedule is due when its cron fires after `last_run_at`. The job claims the run with a
compare-and-set on `last_run_at`, so two job runs (or two workers) make one deployment; then it
deletes the previous deployment of that name (and waits until it is gone, as previews do) and
creates the new one with the newest tag matching each selectable service's pattern.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain import schedules as rules
from core.domain import status
from core.domain.tags import filter_tags
from core.errors import Conflict, ShoalError
from core.services import catalog, naps
from core.services.deployment_inputs import latest_pipeline
from core.services.deployments import DeploymentInput, create_deployment
from core.services.preview_deployments import remove_and_wait
from core.services.schedules import office_hours_of
from core.tables import Deployment, Schedule, Service

log = logging.getLogger("shoal.schedules")
ACTOR = Actor.system("schedules")


async def run_schedules(now: datetime) -> dict[str, int]:
    """Apply every enabled schedule at `now`; one schedule's failure does not stop the others."""
    rows = await Schedule.select().where(Schedule.enabled.eq(True)).output(load_json=True).run()
    done = {"slept": 0, "woke": 0, "created": 0}
    for row in rows:
        try:
            if row["kind"] == rules.OFFICE_HOURS:
                for key, count in (await apply_office_hours(row, now)).items():
                    done[key] += count
            elif await run_nightly(row, now):
                done["created"] += 1
        except ShoalError as failed:
            log.warning("schedule %s: %s", row["id"], failed)
    return done


async def _claim(row: dict[str, Any], now: datetime) -> bool:
    """Compare-and-set `last_run_at` from what we read to `now`; False if another run won."""
    old = row["last_run_at"]
    where = Schedule.last_run_at.is_null() if old is None else Schedule.last_run_at == old
    won = await (
        Schedule.update({Schedule.last_run_at: now})
        .where(Schedule.id == row["id"], where)
        .returning(Schedule.id)
        .run()
    )
    return bool(won)


async def apply_office_hours(row: dict[str, Any], now: datetime) -> dict[str, int]:
    hours = office_hours_of(row)
    last = row["last_run_at"]
    if last is not None and min(rules.next_wake(hours, last), rules.next_sleep(hours, last)) > now:
        return {}
    if not await _claim(row, now):
        return {}
    awake = rules.is_awake(hours, now)
    wanted = status.SLEEPING if awake else status.RUNNING
    found = await Deployment.select(Deployment.id).where(*await _governed(row, wanted)).run()
    count = 0
    for dep in found:
        try:
            if awake:
                await naps.wake(ACTOR, dep["id"])
            else:
                await naps.sleep(ACTOR, dep["id"])
            count += 1
        except ShoalError as failed:
            log.warning("schedule %s, deployment %s: %s", row["id"], dep["id"], failed)
    return {"woke" if awake else "slept": count}


async def _governed(row: dict[str, Any], wanted: str) -> list[Any]:
    """The filter for the deployments these office hours govern, in status `wanted`."""
    if row["project"] is not None:
        return [Deployment.project == row["project"], Deployment.status == wanted]
    own = await (
        Schedule.select(Schedule.project)
        .where(
            Schedule.project.is_not_null(),
            Schedule.kind == rules.OFFICE_HOURS,
            Schedule.enabled.eq(True),
        )
        .run()
    )
    where = [Deployment.environment == row["environment"], Deployment.status == wanted]
    if own:
        where.append(Deployment.project.not_in(sorted({r["project"] for r in own})))
    return where


def nightly_due(row: dict[str, Any], now: datetime) -> bool:
    since = row["last_run_at"] or row["created_at"]
    return rules.next_run(row["cron"], row["time_zone"], since) <= now


async def run_nightly(row: dict[str, Any], now: datetime) -> int | None:
    """The id of the deployment made, or None when not due (or another run claimed it)."""
    if not nightly_due(row, now) or not await _claim(row, now):
        return None
    tags = await newest_tags(row["project"], row["tag_patterns"])
    previous = await (
        Deployment.select(Deployment.id)
        .where(
            Deployment.project == row["project"],
            Deployment.environment == row["environment"],
            Deployment.name == row["deployment_name"],
            Deployment.status != status.DELETED,
        )
        .run()
    )
    for dep in previous:
        await remove_and_wait(dep["id"], "replaced by tonight's run of its schedule")
    made = await create_deployment(
        ACTOR,
        DeploymentInput(
            project_id=row["project"],
            environment_id=row["environment"],
            name=row["deployment_name"],
            tags=tags,
        ),
    )
    return made.id


async def newest_tags(project_id: int, patterns: dict[str, str]) -> dict[str, str]:
    """Per selectable service node: the newest tag matching the schedule's pattern for it, or
    the service's own pattern."""
    graph = graphs.decode((await latest_pipeline(project_id))["graph"])
    tags: dict[str, str] = {}
    for node in graph.nodes:
        if node.kind != "service":
            continue
        service_id = node.config["service_id"]
        service = await Service.select().where(Service.id == service_id).first().run()
        if service is None or service["tag_mode"] == "pinned":
            continue
        listing = await catalog.service_tags(service_id, refresh=True)
        pattern = patterns.get(node.id) or service["tag_pattern"]
        matching = filter_tags(listing.tags, pattern)
        if not matching:
            raise Conflict(f"No tag of '{node.id}' matches '{pattern}'.", f"tag_pattern_{node.id}")
        tags[node.id] = matching[0]
    return tags
