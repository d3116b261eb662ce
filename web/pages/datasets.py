"""A project's Datasets page (docs/data.md): every version of every dataset; admins fetch one
from a URL (a form that comes back with the error beside its field and the input kept), upload
a file (web/static/dataset-upload.js streams it to the API, so it is never held in memory) and
delete a name."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import ShoalError
from core.services import access, datasets, projects
from web.guards import requires_login
from web.params import IdParam
from web.rendering import form_data, page, redirect, refused

TEMPLATE = "projects/datasets.html"


async def _context(request: Request, actor: Actor, project_id: int) -> dict[str, Any]:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")
    return {
        "project": await projects.get_project(project_id),
        "datasets": await datasets.list_datasets(project_id),
        "max_mb": request.app.state.settings.dataset_max_mb,
    }


@get("/")
async def index(request: Request, actor: Actor, project_id: IdParam) -> Template:
    return page(request, TEMPLATE, **await _context(request, actor, project_id))


@post("/fetch")
async def fetch(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    data = await form_data(request)
    context = await _context(request, actor, project_id)
    settings = request.app.state.settings
    try:
        view = await datasets.add_version(
            actor,
            project_id,
            data.get("name", ""),
            settings.data_path,
            settings.dataset_max_mb * 1024 * 1024,
            url=data.get("url", "").strip(),
            expected_sha256=data.get("sha256", ""),
        )
    except ShoalError as exc:
        return page(request, TEMPLATE, **refused(exc, data), **context)
    message = f"Dataset {view.name} version {view.version} saved ({view.size_bytes} bytes)."
    return redirect(f"/projects/{project_id}/datasets", message)


@post("/{name:str}/delete")
async def delete(
    request: Request, actor: Actor, project_id: IdParam, name: str
) -> Template | Redirect:
    context = await _context(request, actor, project_id)
    try:
        await datasets.delete_dataset(actor, project_id, name, request.app.state.settings.data_path)
    except ShoalError as exc:
        notice = {"level": "error", "message": exc.detail}
        return page(request, TEMPLATE, flash=notice, status_code=exc.status_code, **context)
    return redirect(f"/projects/{project_id}/datasets", f"Dataset {name} deleted.")


router = Router(
    path="/projects/{project_id:int}/datasets",
    route_handlers=[index, fetch, delete],
    guards=[requires_login],
    include_in_schema=False,
)
