"""Projects: everyone sees the projects their teams reach; admins create, edit and delete."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.idle import parse_minutes
from core.services import access, deployment_inputs, project_defaults, projects, teams
from web.forms import drop_input, remove, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_float, as_int, page, redirect


def project_input(data: dict[str, str]) -> projects.ProjectInput:
    return projects.ProjectInput(
        name=data.get("name", ""),
        description=data.get("description", ""),
        cpu=as_float(data.get("cpu"), 0.0) or 0.0,
        memory_mb=as_int(data.get("memory_mb"), 0) or 0,
        cleanup_hours=as_int(data.get("cleanup_hours")),
        url_access=data.get("url_access") or None,
        idle_minutes=parse_minutes(data.get("idle_minutes")),
    )


async def _index(request: Request, actor: Actor, **extra: Any) -> Template:
    ids, _ = await access.visible_ids(actor)
    return page(
        request,
        "projects/index.html",
        projects=await projects.list_projects(ids),
        suggested=await project_defaults.suggested() if actor.is_admin else None,
        **extra,
    )


async def _detail(request: Request, actor: Actor, project_id: int, **extra: Any) -> Template:
    acl = await access.access_for(actor)
    if not acl.can_see_project(project_id):
        raise NotFoundException("No such project.")
    return page(
        request,
        "projects/detail.html",
        project=await projects.get_project(project_id),
        blocker=await deployment_inputs.deploy_blocker(project_id),
        level=acl.project_level(project_id).label,
        grants=await teams.list_grants(project_id=project_id) if actor.is_admin else [],
        all_teams=await teams.list_teams() if actor.is_admin else [],
        **extra,
    )


@get("/")
async def index(request: Request, actor: Actor) -> Template:
    return await _index(request, actor)


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: projects.create_project(actor, project_input(data)),
        done=lambda made: redirect(f"/projects/{made.id}", f"Project '{made.name}' created."),
        redraw=partial(_index, request, actor),
    )


@get("/{project_id:int}")
async def detail(request: Request, actor: Actor, project_id: IdParam) -> Template:
    return await _detail(request, actor, project_id)


@post("/{project_id:int}")
async def update(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: projects.update_project(actor, project_id, project_input(data)),
        done=lambda _: redirect(f"/projects/{project_id}", "Project saved."),
        redraw=partial(_detail, request, actor, project_id),
    )


@post("/{project_id:int}/delete")
async def delete(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    return await remove(
        projects.delete_project(actor, project_id),
        to="/projects",
        message="Project deleted.",
        redraw=partial(_detail, request, actor, project_id),
    )


@post("/{project_id:int}/grants")
async def add_grant(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: teams.grant(
            actor, as_int(data.get("team_id"), 0) or 0, "project", project_id, data.get("level", "")
        ),
        done=lambda _: redirect(f"/projects/{project_id}", "Access granted."),
        redraw=partial(_detail, request, actor, project_id),
        kept=drop_input,
    )


router = Router(
    path="/projects",
    route_handlers=[index, create, detail, update, delete, add_grant],
    guards=[requires_login],
    include_in_schema=False,
)
