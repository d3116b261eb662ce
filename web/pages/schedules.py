"""A project's Schedules page (docs/sleep.md): the schedules with their next wake, sleep or
run; users with full access to the project add, edit and delete them. A refused form comes back
with the error beside its field and the input as typed."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.access import Level
from core.errors import InvalidInput, ShoalError
from core.services import access, environments, projects, schedules
from core.services.schedules import ScheduleInput
from web.forms import remove, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_int, page, redirect, refused


async def _context(actor: Actor, project_id: int) -> dict[str, Any]:
    granted = await access.access_for(actor)
    if not granted.can_see_project(project_id):
        raise NotFoundException("No such project.")
    rows = await schedules.schedules_of_project(project_id)
    return {
        "project": await projects.get_project(project_id),
        "may_manage": granted.project_level(project_id) == Level.FULL,
        "schedules": [schedules.to_view(r) for r in rows],
        "environments": [(e.id, e.name) for e in await environments.list_environments()],
    }


def parse_patterns(text: str) -> dict[str, str]:
    """`web=v*` per line (or comma-separated) → {"web": "v*"}."""
    out: dict[str, str] = {}
    for part in text.replace(",", "\n").splitlines():
        if not part.strip():
            continue
        node, sep, pattern = part.partition("=")
        if not sep or not node.strip():
            raise InvalidInput(f"'{part.strip()}' is not service=pattern.", "tag_patterns")
        out[node.strip()] = pattern.strip()
    return out


def to_input(data: dict[str, str]) -> ScheduleInput:
    return ScheduleInput(
        kind=data.get("kind", ""),
        time_zone=data.get("time_zone", ""),
        days=[d for d in data.get("days", "").replace(",", " ").split() if d],
        start_time=data.get("start_time", ""),
        end_time=data.get("end_time", ""),
        cron=data.get("cron", ""),
        environment_id=as_int(data.get("environment_id")),
        deployment_name=data.get("deployment_name", "") or "nightly",
        tag_patterns=parse_patterns(data.get("tag_patterns", "")),
    )


async def _drawn(request: Request, context: dict[str, Any], **extra: Any) -> Template:
    return page(request, "projects/schedules.html", **context, **extra)


def form_of(row: dict[str, Any]) -> dict[str, str]:
    """A stored schedule as the form's fields, to start an edit from."""
    view = schedules.to_view(row)
    patterns = "\n".join(f"{k}={v}" for k, v in view.tag_patterns.items())
    return {
        "kind": view.kind,
        "time_zone": view.time_zone,
        "days": " ".join(view.days),
        "start_time": view.start_time,
        "end_time": view.end_time,
        "cron": view.cron,
        "environment_id": "" if view.environment_id is None else str(view.environment_id),
        "deployment_name": view.deployment_name,
        "tag_patterns": patterns,
    }


async def owned(schedule_id: int, project_id: int | None, environment_id: int | None) -> dict:
    """The schedule when it belongs to this project (or, project None, this environment)."""
    try:
        row = await schedules.schedule_row(schedule_id)
    except ShoalError:
        raise NotFoundException("No such schedule.") from None
    mine = row["project"] == project_id
    if project_id is None:
        mine = mine and row["environment"] == environment_id
    if not mine:
        raise NotFoundException("No such schedule.")
    return row


def _kept(exc: ShoalError, data: dict[str, str]) -> dict[str, Any]:
    """The service names one pattern's field (`tag_pattern.web`); the form has one box."""
    if isinstance(exc, InvalidInput) and (exc.field or "").startswith("tag_pattern"):
        exc.field = "tag_patterns"
    return refused(exc, data)


@get("/")
async def index(request: Request, actor: Actor, project_id: IdParam) -> Template:
    return page(request, "projects/schedules.html", **await _context(actor, project_id))


@post("/")
async def create(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    context = await _context(actor, project_id)  # an invisible project: a 404 before anything
    return await submit(
        request,
        lambda data: schedules.create_schedule(actor, project_id, to_input(data)),
        done=lambda _: redirect(f"/projects/{project_id}/schedules", "Schedule saved."),
        redraw=partial(_drawn, request, context),
        kept=_kept,
    )


@post("/{schedule_id:int}/delete")
async def delete(
    request: Request, actor: Actor, project_id: IdParam, schedule_id: IdParam
) -> Template | Redirect:
    context = await _context(actor, project_id)

    async def delete_own() -> None:
        row = await schedules.schedule_row(schedule_id)
        if row["project"] != project_id:
            raise NotFoundException("No such schedule.")
        await schedules.delete_schedule(actor, schedule_id)

    return await remove(
        delete_own(),
        to=f"/projects/{project_id}/schedules",
        message="Schedule deleted.",
        redraw=partial(_drawn, request, context),
    )


async def _edit_page(request: Request, context: dict[str, Any], **extra: Any) -> Template:
    return page(request, "schedules/edit.html", **context, **extra)


async def _edit_context(actor: Actor, project_id: int, schedule_id: int) -> dict[str, Any]:
    context = await _context(actor, project_id)
    await owned(schedule_id, project_id, None)
    return {
        "owner_name": context["project"].name,
        "base": f"/projects/{project_id}/schedules",
        "schedule_id": schedule_id,
        "environments": context["environments"],
        "nightly": True,
    }


@get("/{schedule_id:int}/edit")
async def edit(
    request: Request, actor: Actor, project_id: IdParam, schedule_id: IdParam
) -> Template:
    context = await _edit_context(actor, project_id, schedule_id)
    form = form_of(await schedules.schedule_row(schedule_id))
    return await _edit_page(request, context, form=form)


@post("/{schedule_id:int}/edit")
async def update(
    request: Request, actor: Actor, project_id: IdParam, schedule_id: IdParam
) -> Template | Redirect:
    context = await _edit_context(actor, project_id, schedule_id)
    return await submit(
        request,
        lambda data: schedules.update_schedule(actor, schedule_id, to_input(data)),
        done=lambda _: redirect(f"/projects/{project_id}/schedules", "Schedule saved."),
        redraw=partial(_edit_page, request, context),
        kept=_kept,
    )


router = Router(
    path="/projects/{project_id:int}/schedules",
    route_handlers=[index, create, edit, update, delete],
    guards=[requires_login],
    include_in_schema=False,
)
