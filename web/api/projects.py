"""/api/v1/projects: visible projects for everyone; create, change, delete for admins."""

from __future__ import annotations

from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import access, projects
from core.services.projects import ProjectInput, ProjectView
from web.guards import requires_login
from web.params import IdParam


@get("/")
async def list_projects(actor: Actor) -> list[ProjectView]:
    ids, _ = await access.visible_ids(actor)
    return await projects.list_projects(ids)


@post("/")
async def create_project(actor: Actor, data: ProjectInput) -> ProjectView:
    return await projects.create_project(actor, data)


@get("/{project_id:int}")
async def get_project(visible_project: ProjectView) -> ProjectView:
    return visible_project


@put("/{project_id:int}")
async def update_project(
    actor: Actor, project_id: IdParam, data: ProjectInput, visible_project: ProjectView
) -> ProjectView:
    return await projects.update_project(actor, project_id, data)


@delete("/{project_id:int}")
async def delete_project(actor: Actor, project_id: IdParam, visible_project: ProjectView) -> None:
    await projects.delete_project(actor, project_id)


router = Router(
    path="/projects",
    route_handlers=[list_projects, create_project, get_project, update_project, delete_project],
    guards=[requires_login],
    tags=["projects"],
)
