"""A project's Schedules page (docs/sleep.md): the schedules with their next wake, sleep or
run; admins add and delete them. A refused form comes back with the error beside its field and
the input as typed."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import InvalidInput, ShoalError
from core.services import access, environments, projects, schedules
from core.services.schedules import ScheduleInput
from web.forms import remove, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_int, page, redirect, refused


async def _context(actor: Actor, project_id: int) -> dict[str, Any]:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")
    rows = await schedules.schedules_of_project(project_id)
    return {
        "project": await projects.get_project(project_id),
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


router = Router(
    path="/projects/{project_id:int}/schedules",
    route_handlers=[index, create, delete],
    guards=[requires_login],
    include_in_schema=False,
)
