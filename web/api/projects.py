"""/api/v1/projects: visible projects for everyone; create, change, delete for admins."""

from __future__ import annotations

from litestar import Router, delete, get, post, put
from litestar.exceptions import NotFoundException

from core.actor import Actor
from core.services import access, projects
from core.services.projects import ProjectInput, ProjectView
from web.guards import requires_login
from web.params import IdParam


async def _visible(actor: Actor, project_id: int) -> ProjectView:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")
    return await projects.get_project(project_id)


@get("/")
async def list_projects(actor: Actor) -> list[ProjectView]:
    ids, _ = await access.visible_ids(actor)
    return await projects.list_projects(ids)


@post("/")
async def create_project(actor: Actor, data: ProjectInput) -> ProjectView:
    return await projects.create_project(actor, data)


@get("/{project_id:int}")
async def get_project(actor: Actor, project_id: IdParam) -> ProjectView:
    return await _visible(actor, project_id)


@put("/{project_id:int}")
async def update_project(actor: Actor, project_id: IdParam, data: ProjectInput) -> ProjectView:
    await _visible(actor, project_id)
    return await projects.update_project(actor, project_id, data)


@delete("/{project_id:int}")
async def delete_project(actor: Actor, project_id: IdParam) -> None:
    await _visible(actor, project_id)
    await projects.delete_project(actor, project_id)


router = Router(
    path="/projects",
    route_handlers=[list_projects, create_project, get_project, update_project, delete_project],
    guards=[requires_login],
    tags=["projects"],
)
