"""Projects: everyone sees the projects their teams reach; admins create, edit and delete."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import ShoalError
from core.services import access, deployment_inputs, project_defaults, projects, teams
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_float, as_int, form_data, page, redirect, refused


def project_input(data: dict[str, str]) -> projects.ProjectInput:
    return projects.ProjectInput(
        name=data.get("name", ""),
        description=data.get("description", ""),
        cpu=as_float(data.get("cpu"), 0.0) or 0.0,
        memory_mb=as_int(data.get("memory_mb"), 0) or 0,
        cleanup_hours=as_int(data.get("cleanup_hours")),
        url_access=data.get("url_access") or None,
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
    data = await form_data(request)
    try:
        project = await projects.create_project(actor, project_input(data))
    except ShoalError as exc:
        return await _index(request, actor, **refused(exc, data))
    return redirect(f"/projects/{project.id}", f"Project '{project.name}' created.")


@get("/{project_id:int}")
async def detail(request: Request, actor: Actor, project_id: IdParam) -> Template:
    return await _detail(request, actor, project_id)


@post("/{project_id:int}")
async def update(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    data = await form_data(request)
    try:
        await projects.update_project(actor, project_id, project_input(data))
    except ShoalError as exc:
        return await _detail(request, actor, project_id, **refused(exc, data))
    return redirect(f"/projects/{project_id}", "Project saved.")


@post("/{project_id:int}/delete")
async def delete(actor: Actor, project_id: IdParam) -> Redirect:
    await projects.delete_project(actor, project_id)
    return redirect("/projects", "Project deleted.")


@post("/{project_id:int}/grants")
async def add_grant(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    data = await form_data(request)
    try:
        team_id = as_int(data.get("team_id"), 0) or 0
        await teams.grant(actor, team_id, "project", project_id, data.get("level", ""))
    except ShoalError as exc:
        return await _detail(request, actor, project_id, **refused(exc))
    return redirect(f"/projects/{project_id}", "Access granted.")


router = Router(
    path="/projects",
    route_handlers=[index, create, detail, update, delete, add_grant],
    guards=[requires_login],
    include_in_schema=False,
)
