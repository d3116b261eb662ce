"""A project's Pipeline page: the editor (admins), read-only views, versions, diff, files.

The canvas is drawn in the browser by /static/pipeline-editor.js from the JSON embedded in
the page; saving goes through the JSON API (PUT /api/v1/projects/{id}/pipeline), so the page
and scripts share one path and one set of messages. Everything else is server-rendered:
the node config panel (pipeline_panel.py), the versions list, a version, a diff.
People with read or full access on the project see the same pages read-only.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import NotFound, ShoalError
from core.fields import INT32_MAX
from core.services import access, catalog, pipeline_files, pipelines, plugins, projects
from web.forms import act
from web.guards import requires_login
from web.params import IdParam
from web.rendering import page, redirect


async def visible(actor: Actor, project_id: int) -> projects.ProjectView:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")
    return await projects.get_project(project_id)


async def latest_or_none(project_id: IdParam) -> pipelines.VersionView | None:
    try:
        return await pipelines.get_version(project_id)
    except NotFound:
        return None


async def editor_data(
    actor: Actor,
    project: projects.ProjectView,
    version: pipelines.VersionView | None,
    latest: int,
    readonly: bool,
) -> dict[str, Any]:
    """What pipeline-editor.js starts from: the graph, the catalog, where to save."""
    services = await catalog.list_services(actor)
    plugin_list = await plugins.list_plugins()
    return {
        "project_id": project.id,
        "project_name": project.name,
        "readonly": readonly,
        "base_version": latest,
        "graph": version.graph if version else {"nodes": [], "edges": [], "layout": {}},
        "services": {
            str(s.id): {"name": s.name, "image": s.image, "port": s.port} for s in services
        },
        "plugins": {
            str(p.id): {"name": p.name, "image": p.image, "tag": p.tag} for p in plugin_list
        },
    }


@get("/")
async def editor(request: Request, actor: Actor, project_id: IdParam) -> Template:
    project = await visible(actor, project_id)
    version = await latest_or_none(project_id)
    readonly = not actor.is_admin
    return page(
        request,
        "pipelines/editor.html",
        project=project,
        version=version,
        readonly=readonly,
        services=await catalog.list_services(actor),
        plugins=await plugins.list_plugins(),
        data=await editor_data(
            actor, project, version, version.version if version else 0, readonly
        ),
    )


@get("/versions")
async def versions(request: Request, actor: Actor, project_id: IdParam) -> Template:
    project = await visible(actor, project_id)
    return page(
        request,
        "partials/pipelines/versions.html",
        project=project,
        versions=await pipelines.list_versions(project_id),
    )


@get("/versions/{version:int}")
async def show_version(
    request: Request, actor: Actor, project_id: IdParam, version: IdParam
) -> Template:
    project = await visible(actor, project_id)
    found = await pipelines.get_version(project_id, version)
    latest = await pipelines.latest_number(project_id)
    return page(
        request,
        "pipelines/version.html",
        project=project,
        version=found,
        latest=latest,
        data=await editor_data(actor, project, found, latest, readonly=True),
    )


@get("/diff")
async def diff(
    request: Request,
    actor: Actor,
    project_id: IdParam,
    old: int = Parameter(query="from", ge=1, le=INT32_MAX),
    new: int = Parameter(query="to", ge=1, le=INT32_MAX),
) -> Template:
    project = await visible(actor, project_id)
    return page(
        request,
        "pipelines/diff.html",
        project=project,
        diff=await pipelines.diff_versions(project_id, old, new),
        versions=await pipelines.list_versions(project_id),
    )


@post("/versions/{version:int}/restore")
async def restore(
    request: Request, actor: Actor, project_id: IdParam, version: IdParam
) -> Template | Redirect:
    await visible(actor, project_id)
    form = await request.form()
    base = str(form.get("base_version", ""))
    back = f"/projects/{project_id}/pipeline"
    return await act(
        pipelines.restore_version(
            actor, project_id, version, int(base) if base.isdigit() else None
        ),
        back=back,
        done=lambda saved: redirect(
            back, f"Version {version} restored as version {saved.version}."
        ),
    )


@get("/export")
async def export(
    actor: Actor,
    project_id: IdParam,
    fmt: str = Parameter(query="format", default="yaml"),
    version: int | None = None,
) -> Response:
    await visible(actor, project_id)
    name, text = await pipeline_files.export_pipeline(project_id, version, fmt)
    media = "application/yaml" if fmt == "yaml" else "application/json"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@post("/import")
async def import_file(
    actor: Actor,
    project_id: IdParam,
    data: dict[str, Any] = Body(media_type=RequestEncodingType.MULTI_PART),
) -> Redirect:
    await visible(actor, project_id)
    upload = data.get("file")
    base = str(data.get("base_version", ""))
    back = f"/projects/{project_id}/pipeline"
    if not isinstance(upload, UploadFile):
        return redirect(back, "Choose a YAML or JSON file to import.", "error")
    try:
        saved = await pipeline_files.import_pipeline(
            actor,
            project_id,
            await upload.read(),
            int(base) if base.isdigit() else None,
            str(data.get("message", "")),
        )
    except pipelines.PipelineInvalid as exc:
        lines = "; ".join(f"{i.node or 'graph'}: {i.message}" for i in exc.issues[:5])
        return redirect(back, f"The file was not imported: {lines}", "error")
    except ShoalError as exc:
        return redirect(back, exc.detail, "error")
    return redirect(back, f"Imported as version {saved.version}.")


router = Router(
    path="/projects/{project_id:int}/pipeline",
    route_handlers=[editor, versions, show_version, diff, restore, export, import_file],
    guards=[requires_login],
    include_in_schema=False,
)
