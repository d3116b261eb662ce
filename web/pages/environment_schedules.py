"""An environment's Schedules page (docs/sleep.md): its office hours, which govern the
deployments in it whose project has none of its own. Environment admins add, edit and delete
them; a refused form comes back with the error beside its field and the input as typed."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.access import Level
from core.services import access, environments, schedules
from web.forms import remove, submit
from web.guards import requires_login
from web.pages.schedules import form_of, owned, to_input
from web.params import IdParam
from web.rendering import page, redirect, refused


async def _context(actor: Actor, environment_id: int) -> dict[str, Any]:
    granted = await access.access_for(actor)
    if not granted.can_see_environment(environment_id):
        raise NotFoundException("No such environment.")
    rows = await schedules.schedules_of_environment(environment_id)
    return {
        "environment": await environments.get_environment(environment_id),
        "may_manage": granted.environment_level(environment_id) == Level.FULL,
        "schedules": [schedules.to_view(r) for r in rows],
    }


def _base(environment_id: int) -> str:
    return f"/environments/{environment_id}/schedules"


async def _drawn(
    request: Request, template: str, context: dict[str, Any], **extra: Any
) -> Template:
    return page(request, template, **context, **extra)


@get("/")
async def index(request: Request, actor: Actor, environment_id: IdParam) -> Template:
    return page(request, "environments/schedules.html", **await _context(actor, environment_id))


@post("/")
async def create(request: Request, actor: Actor, environment_id: IdParam) -> Template | Redirect:
    context = await _context(actor, environment_id)  # an invisible environment: a 404 first
    return await submit(
        request,
        lambda data: schedules.create_environment_schedule(actor, environment_id, to_input(data)),
        done=lambda _: redirect(_base(environment_id), "Office hours saved."),
        redraw=partial(_drawn, request, "environments/schedules.html", context),
        kept=refused,
    )


async def _edit_context(actor: Actor, environment_id: int, schedule_id: int) -> dict[str, Any]:
    context = await _context(actor, environment_id)
    await owned(schedule_id, None, environment_id)
    return {
        "owner_name": context["environment"].name,
        "base": _base(environment_id),
        "schedule_id": schedule_id,
        "environments": [],
        "nightly": False,
    }


@get("/{schedule_id:int}/edit")
async def edit(
    request: Request, actor: Actor, environment_id: IdParam, schedule_id: IdParam
) -> Template:
    context = await _edit_context(actor, environment_id, schedule_id)
    form = form_of(await schedules.schedule_row(schedule_id))
    return page(request, "schedules/edit.html", **context, form=form)


@post("/{schedule_id:int}/edit")
async def update(
    request: Request, actor: Actor, environment_id: IdParam, schedule_id: IdParam
) -> Template | Redirect:
    context = await _edit_context(actor, environment_id, schedule_id)
    return await submit(
        request,
        lambda data: schedules.update_schedule(actor, schedule_id, to_input(data)),
        done=lambda _: redirect(_base(environment_id), "Office hours saved."),
        redraw=partial(_drawn, request, "schedules/edit.html", context),
        kept=refused,
    )


@post("/{schedule_id:int}/delete")
async def delete(
    request: Request, actor: Actor, environment_id: IdParam, schedule_id: IdParam
) -> Template | Redirect:
    context = await _context(actor, environment_id)

    async def delete_own() -> None:
        await owned(schedule_id, None, environment_id)
        await schedules.delete_schedule(actor, schedule_id)

    return await remove(
        delete_own(),
        to=_base(environment_id),
        message="Office hours deleted.",
        redraw=partial(_drawn, request, "environments/schedules.html", context),
    )


router = Router(
    path="/environments/{environment_id:int}/schedules",
    route_handlers=[index, create, edit, update, delete],
    guards=[requires_login],
    include_in_schema=False,
)
