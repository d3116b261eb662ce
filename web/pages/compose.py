"""Import a compose file into a project (admins): paste or upload, preview, answer, import.

One page, plain POSTs: each submit re-plans the file with the answers given so far and shows
what would be created, the questions compose cannot answer (registry per image, selectable
tags, which env values are secrets, variables, profiles, env files) and every reason it
cannot be imported yet. The file text and every answer stay in the form across submits.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.compose import ComposeInvalid
from core.domain.compose.plan import Choices, ServiceChoice
from core.errors import ShoalError
from core.services import compose_export, compose_import, pipelines, registries
from core.services.projects import ProjectView
from web.guards import requires_login
from web.params import IdParam, OptionalIdParam
from web.rendering import page, redirect

TEMPLATE = "compose/import.html"


def choices_from(form: Any) -> Choices:
    """The answers as the form sends them (names as the template writes them)."""
    services: dict[str, ServiceChoice] = {}
    for name in form.getall("service", []):
        registry = str(form.get(f"svc.{name}.registry_id", ""))
        services[name] = ServiceChoice(
            registry_id=int(registry) if registry.isdigit() else None,
            catalog_name=str(form.get(f"svc.{name}.catalog_name", "")),
            selectable=form.get(f"svc.{name}.selectable") == "on",
            tag_pattern=str(form.get(f"svc.{name}.tag_pattern", "")),
        )
    env_files = {}
    for index, path in enumerate(form.getall("envfile_path", [])):
        content = str(form.get(f"envfile.{index}", ""))
        if content:
            env_files[str(path)] = content
    answered = form.get("answered") == "1"
    return Choices(
        variables={
            str(k)[4:]: str(v) for k, v in form.items() if str(k).startswith("var.") and v != ""
        },
        profiles=[str(p) for p in form.getall("profile", [])],
        env_files=env_files,
        services=services,
        secrets=[str(s) for s in form.getall("secret", [])] if answered else None,
    )


async def _text(form: Any) -> str:
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        raw = await upload.read()
        if raw:
            return raw.decode("utf-8", errors="replace")
    return str(form.get("text", ""))


async def _render(
    request: Request,
    actor: Actor,
    project: ProjectView,
    form: dict[str, Any],
    status: int = 200,
    error: str = "",
) -> Template:
    """The page; with a file, the preview of it under the answers given."""
    context: dict[str, Any] = {
        "project": project,
        "form": form,
        "registries": await registries.list_registries(),
        "preview": None,
        "invalid": [],
        "errors": {"": error} if error else {},
    }
    if form.get("text", "").strip():
        try:
            context["preview"] = await compose_import.preview(
                actor, project.id, form["text"], form["choices"]
            )
        except ComposeInvalid as exc:
            context["invalid"] = exc.problems
    return page(request, TEMPLATE, status_code=status, **context)


async def _form(request: Request) -> dict[str, Any]:
    raw = await request.form()
    return {
        "text": await _text(raw),
        "message": str(raw.get("message", "")),
        "base_version": str(raw.get("base_version", "")),
        "choices": choices_from(raw),
        "action": str(raw.get("action", "preview")),
    }


@get("/")
async def show(
    request: Request, actor: Actor, project_id: IdParam, visible_project: ProjectView
) -> Template:
    compose_import.must_be_admin(actor)
    latest = await pipelines.latest_number(project_id)
    form = {"text": "", "choices": Choices(), "message": "", "base_version": str(latest)}
    return await _render(request, actor, visible_project, form)


@post("/")
async def submit(
    request: Request, actor: Actor, project_id: IdParam, visible_project: ProjectView
) -> Template | Redirect:
    """`action=preview` shows the plan again; `action=import` creates it, or re-renders the
    page with the reason and every answer kept."""
    compose_import.must_be_admin(actor)
    form = await _form(request)
    if form["action"] != "import":
        return await _render(request, actor, visible_project, form)
    base = form["base_version"]
    try:
        saved = await compose_import.import_compose(
            actor,
            project_id,
            form["text"],
            form["choices"],
            message=form["message"],
            base_version=int(base) if base.isdigit() else None,
        )
    except ShoalError as exc:
        return await _render(
            request, actor, visible_project, form, status=exc.status_code, error=exc.detail
        )
    return redirect(
        f"/projects/{project_id}/pipeline",
        f"Imported the compose file as pipeline version {saved.version}.",
    )


@get("/export")
async def export_file(
    actor: Actor, project_id: IdParam, visible_project: ProjectView, version: OptionalIdParam = None
) -> Response:
    """Download a version (the latest by default) as a compose file: whoever sees the project."""
    name, text = await compose_export.export_compose(actor, project_id, version)
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


router = Router(
    path="/projects/{project_id:int}/compose",
    route_handlers=[show, submit, export_file],
    guards=[requires_login],
    include_in_schema=False,
)
