"""The deployment form in its three uses: New deployment, Clone <name>, and Change tags and
retry <name>. One template; a re-rendered form keeps every choice (project, environment,
name and each picked tag), and the tag dropdowns, loaded over HTMX, are told which tag to
select (the wanted tags ride along as hidden fields until the dropdowns replace them).
The plain create (POST /deployments/) stays beside the list in deployments.py: one router
per path.

Change tags and retry reruns the same failed deployment (same name and URLs, a new run) with
the tags changed: what a user whose deployment failed on a bad tag expects, rather than a copy
under another name or a delete-then-recreate that would lose the page and its history.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain.access import Level
from core.errors import Forbidden, NotFound, ShoalError
from core.services import access, deployment_inputs, deployments, environments, projects
from core.services import deployment_actions as actions
from core.services.deployments import DeploymentView
from web.deployment_notices import about
from web.forms import submit
from web.guards import requires_login
from web.params import IdParam, OptionalIdParam
from web.rendering import as_int, page, redirect, refused

# Refusals that are about the deployment, not the form: the error page, as for a GET.
GONE = (NotFound, Forbidden)


async def _choices(actor: Actor) -> tuple[list, list]:
    """Projects and environments in which the actor may create (full access somewhere)."""
    acl = await access.access_for(actor)
    all_projects = await projects.list_projects(
        None if acl.is_admin else set(acl.projects) or set()
    )
    all_envs = await environments.list_environments(None if acl.is_admin else set(acl.environments))
    if acl.is_admin:
        return all_projects, all_envs
    env_full = {e for e, lvl in acl.environments.items() if lvl == Level.FULL}
    proj_full = {p for p, lvl in acl.projects.items() if lvl == Level.FULL}
    usable_projects = [p for p in await projects.list_projects() if p.id in proj_full or env_full]
    usable_envs = [
        e for e in await environments.list_environments() if e.id in env_full or proj_full
    ]
    return usable_projects, usable_envs


def tags_of(data: dict[str, str]) -> dict[str, str]:
    return {k[4:]: v for k, v in data.items() if k.startswith("tag_")}


def deployment_input(data: dict[str, str]) -> deployments.DeploymentInput:
    """The New deployment form (POST /deployments/, beside the list) as the service's input."""
    return deployments.DeploymentInput(
        project_id=as_int(data.get("project_id"), 0) or 0,
        environment_id=as_int(data.get("environment_id"), 0) or 0,
        name=data.get("name", ""),
        tags=tags_of(data),
        request_key=data.get("request_key") or None,
    )


def _as_source(dep: DeploymentView, name: str) -> dict[str, str]:
    """The form filled from an existing deployment: its project, environment and tags."""
    return {
        "project_id": str(dep.project_id),
        "environment_id": str(dep.environment_id),
        "name": name,
        **{f"tag_{k}": v for k, v in dep.tags.items()},
    }


async def form_page(
    request: Request,
    actor: Actor,
    *,
    clone_of: DeploymentView | None = None,
    retry_of: DeploymentView | None = None,
    **extra: Any,
) -> Template:
    usable_projects, usable_envs = await _choices(actor)
    form = extra.pop("form", {})
    form.setdefault("name", f"qa-{secrets.token_hex(2)}")
    form.setdefault("request_key", secrets.token_urlsafe(16))
    action = "/deployments/"
    if clone_of is not None:
        action = f"/deployments/{clone_of.id}/clone"
    if retry_of is not None:
        action = f"/deployments/{retry_of.id}/retry"
    return page(
        request,
        "deployments/new.html",
        projects=usable_projects,
        environments=usable_envs,
        form=form,
        action=action,
        clone_of=clone_of,
        retry_of=retry_of,
        **extra,
    )


@get("/new")
async def new(request: Request, actor: Actor, project_id: OptionalIdParam = None) -> Template:
    return await form_page(request, actor, form={"project_id": str(project_id or "")})


@get("/new/tags")
async def tag_fields(
    request: Request, actor: Actor, project_id: OptionalIdParam = None
) -> Template:
    """HTMX: one tag field per service node of the project's latest pipeline, each told which
    tag to select (`tag_<node>` in the query: the form's current or wanted choice)."""
    nodes: list[dict[str, Any]] = []
    problem = ""
    if project_id and (await access.access_for(actor)).can_see_project(project_id):
        try:
            version = await deployment_inputs.latest_pipeline(project_id)
            graph = graphs.decode(version["graph"])
            nodes = [
                {"id": n.id, "service_id": n.config["service_id"]}
                for n in graph.nodes
                if n.kind == "service"
            ]
        except ShoalError as exc:
            problem = exc.detail
    return page(
        request,
        "partials/deployments/tag_fields.html",
        nodes=nodes,
        problem=problem,
        project_id=project_id,
        selected=dict(request.query_params),
    )


@get("/{deployment_id:int}/clone")
async def clone_form(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    dep = await deployments.get_deployment(actor, deployment_id, Level.FULL)
    form = _as_source(dep, f"{dep.name}-copy"[:63])
    return await form_page(request, actor, form=form, clone_of=dep)


@post("/{deployment_id:int}/clone")
async def clone(request: Request, actor: Actor, deployment_id: IdParam) -> Template | Redirect:
    source = await deployments.get_deployment(actor, deployment_id, Level.FULL)
    return await submit(
        request,
        lambda data: actions.clone(
            actor,
            deployment_id,
            data.get("name", ""),
            tags_of(data),
            request_key=data.get("request_key") or None,
        ),
        done=lambda dep: redirect(
            f"/deployments/{dep.id}", f"Clone '{dep.name}' is on its way.", about=about(dep.id)
        ),
        redraw=partial(form_page, request, actor, clone_of=source),
        # The project and environment stay the source's: the form does not send them.
        kept=lambda exc, data: refused(exc, {**_as_source(source, ""), **data}),
        raises=GONE,
    )


@get("/{deployment_id:int}/retry")
async def retry_form(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    dep = await deployments.get_deployment(actor, deployment_id, Level.FULL)
    return await form_page(request, actor, form=_as_source(dep, dep.name), retry_of=dep)


@post("/{deployment_id:int}/retry")
async def retry(request: Request, actor: Actor, deployment_id: IdParam) -> Template | Redirect:
    """Retry as it is (the detail page's button), or with the tags of the retry form."""

    async def redraw(form: dict[str, str], **refusal: Any) -> Template:
        source = await deployments.get_deployment(actor, deployment_id, Level.FULL)
        kept = {**_as_source(source, source.name), **form}
        return await form_page(request, actor, retry_of=source, form=kept, **refusal)

    return await submit(
        request,
        lambda data: actions.retry(actor, deployment_id, tags_of(data) or None),
        done=lambda dep: redirect(
            f"/deployments/{dep.id}",
            f"Retrying '{dep.name}' with pipeline v{dep.pipeline_version}.",
            about=about(dep.id),
        ),
        redraw=redraw,
        raises=GONE,
    )


router = Router(
    path="/deployments",
    route_handlers=[new, tag_fields, clone_form, clone, retry_form, retry],
    guards=[requires_login],
    include_in_schema=False,
)
