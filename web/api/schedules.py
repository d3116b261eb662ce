"""/api/v1 schedules of a project or an environment (docs/sleep.md): whoever sees the project
(environment) lists them; full access to it creates, changes and deletes them."""

from __future__ import annotations

from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import schedules
from core.services.environments import EnvironmentView
from core.services.projects import ProjectView
from core.services.schedules import ScheduleInput, ScheduleView
from web.guards import requires_login
from web.params import IdParam


@get("/projects/{project_id:int}/schedules")
async def list_schedules(project_id: IdParam, visible_project: ProjectView) -> list[ScheduleView]:
    """Each with `next_at`: its next wake or sleep (office hours) or next run (nightly)."""
    return [schedules.to_view(r) for r in await schedules.schedules_of_project(project_id)]


@post("/projects/{project_id:int}/schedules")
async def create_schedule(
    actor: Actor, project_id: IdParam, data: ScheduleInput, visible_project: ProjectView
) -> ScheduleView:
    """A bad cron expression, time zone, day or time answers 422 naming the field."""
    schedule_id = await schedules.create_schedule(actor, project_id, data)
    return schedules.to_view(await schedules.schedule_row(schedule_id))


@get("/environments/{environment_id:int}/schedules")
async def list_environment_schedules(
    environment_id: IdParam, visible_environment: EnvironmentView
) -> list[ScheduleView]:
    """The environment's office hours; they govern deployments whose project has none."""
    rows = await schedules.schedules_of_environment(environment_id)
    return [schedules.to_view(r) for r in rows]


@post("/environments/{environment_id:int}/schedules")
async def create_environment_schedule(
    actor: Actor, environment_id: IdParam, data: ScheduleInput, visible_environment: EnvironmentView
) -> ScheduleView:
    """Office hours only (a nightly answers 422 on `kind`); environment admins only."""
    schedule_id = await schedules.create_environment_schedule(actor, environment_id, data)
    return schedules.to_view(await schedules.schedule_row(schedule_id))


@put("/schedules/{schedule_id:int}")
async def update_schedule(actor: Actor, schedule_id: IdParam, data: ScheduleInput) -> ScheduleView:
    """A bad field answers 422 naming it; the schedule's next action counts from now."""
    await schedules.update_schedule(actor, schedule_id, data)
    return schedules.to_view(await schedules.schedule_row(schedule_id))


@delete("/schedules/{schedule_id:int}")
async def delete_schedule(actor: Actor, schedule_id: IdParam) -> None:
    await schedules.delete_schedule(actor, schedule_id)


router = Router(
    path="/",
    route_handlers=[
        list_schedules,
        create_schedule,
        list_environment_schedules,
        create_environment_schedule,
        update_schedule,
        delete_schedule,
    ],
    guards=[requires_login],
    tags=["schedules"],
)
