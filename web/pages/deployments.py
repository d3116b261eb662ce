"""Deployments: the list, the one-click form, and each deployment's live page."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, ServerSentEvent, Template

from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain import status
from core.domain.access import Level
from core.errors import ShoalError
from core.services import (
    access,
    deployment_history,
    deployment_inputs,
    deployment_list,
    deployments,
    environments,
    projects,
)
from core.services import deployment_actions as actions
from core.tables import PipelineVersion
from web import sse
from web.guards import requires_login
from web.params import IdParam, OptionalIdParam
from web.rendering import as_int, form_data, page, redirect, refused


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


PAGE_SIZE = 50


def _filters(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "before_id": as_int(data.get("before")),
        "limit": PAGE_SIZE,
        "project_id": as_int(data.get("project_id")),
        "environment_id": as_int(data.get("environment_id")),
        "status_filter": data.get("status") or None,
        "mine": data.get("mine") == "1",
    }


@get("/")
async def index(request: Request, actor: Actor) -> Template:
    filters = _filters(dict(request.query_params))
    acl = await access.access_for(actor)
    listing = await deployment_list.list_deployments(actor, acl=acl, **filters)
    project_choices, environment_choices = await deployment_list.filter_choices(acl)
    template = (
        "partials/deployments/rows.html"
        if request.headers.get("hx-request")
        else "deployments/index.html"
    )
    return page(
        request,
        template,
        deployments=listing,
        query=dict(request.query_params),
        projects=project_choices,
        environments=environment_choices,
        statuses=status.ALL,
        request_query=str(request.url.query or ""),
        older=listing[-1].id if len(listing) == PAGE_SIZE else None,
        older_query={k: v for k, v in request.query_params.items() if k != "before"},
    )


async def _form(request: Request, actor: Actor, **extra: Any) -> Template:
    usable_projects, usable_envs = await _choices(actor)
    form = extra.pop("form", {})
    form.setdefault("name", f"qa-{secrets.token_hex(2)}")
    form.setdefault("request_key", secrets.token_urlsafe(16))
    return page(
        request,
        "deployments/new.html",
        projects=usable_projects,
        environments=usable_envs,
        form=form,
        **extra,
    )


@get("/new")
async def new(request: Request, actor: Actor, project_id: OptionalIdParam = None) -> Template:
    return await _form(request, actor, form={"project_id": str(project_id or "")})


@get("/new/tags")
async def tag_fields(
    request: Request, actor: Actor, project_id: OptionalIdParam = None
) -> Template:
    """HTMX: one tag field per service node of the project's latest pipeline."""
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
        selected=dict(request.query_params),
    )


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    data = await form_data(request)
    tags = {k[4:]: v for k, v in data.items() if k.startswith("tag_")}
    try:
        dep = await deployments.create_deployment(
            actor,
            deployments.DeploymentInput(
                project_id=as_int(data.get("project_id"), 0) or 0,
                environment_id=as_int(data.get("environment_id"), 0) or 0,
                name=data.get("name", ""),
                tags=tags,
                request_key=data.get("request_key") or None,
            ),
        )
    except ShoalError as exc:
        return await _form(request, actor, **refused(exc, data))
    return redirect(f"/deployments/{dep.id}", f"Deployment '{dep.name}' is on its way.")


async def _detail_context(actor: Actor, deployment_id: int) -> dict[str, Any]:
    dep = await deployments.get_deployment(actor, deployment_id)
    graph_row = (
        await PipelineVersion.select(PipelineVersion.graph)
        .where(
            (PipelineVersion.project == dep.project_id)
            & (PipelineVersion.version == dep.pipeline_version)
        )
        .output(load_json=True)
        .first()
        .run()
    )
    graph = graphs.decode(graph_row["graph"]) if graph_row else graphs.Graph()
    return {
        "dep": dep,
        "run": await deployment_history.latest_run(dep.id),
        "order": [node for layer in graphs.layers(graph) for node in layer],
        "services": [n.id for n in graph.nodes if n.kind == "service"],
        "history": await deployment_history.history(dep.id),
        "can": {
            "act": dep.level == "full",
            "extend": dep.level == "full" and status.can_extend(dep.status),
            "delete": dep.level == "full" and status.can_delete(dep.status),
            "retry": dep.level == "full" and status.can_retry(dep.status),
        },
    }


@get("/{deployment_id:int}")
async def detail(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    return page(request, "deployments/detail.html", **await _detail_context(actor, deployment_id))


@get("/{deployment_id:int}/live")
async def live(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    """HTMX: the status card and steps, re-rendered when an SSE event says something changed."""
    return page(
        request, "partials/deployments/live.html", **await _detail_context(actor, deployment_id)
    )


@get("/{deployment_id:int}/stream")
async def stream(actor: Actor, deployment_id: IdParam) -> ServerSentEvent:
    await deployments.get_deployment(actor, deployment_id)
    return ServerSentEvent(sse.deployment_events(deployment_id))


@get("/{deployment_id:int}/usage")
async def usage(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    """HTMX, refreshed every few seconds: what the deployment uses now against its limits."""
    from core.hub import get_hub

    dep = await deployments.get_deployment(actor, deployment_id)
    found, problem = None, ""
    if dep.node_id is not None and dep.status in (status.RUNNING, status.DEPLOYING):
        try:
            reply = await asyncio.wait_for(get_hub().metrics(dep.node_id), timeout=5)
            found = reply.metrics.deployments.get(dep.id)
        except (ShoalError, TimeoutError) as exc:
            problem = getattr(exc, "detail", "") or "The node did not answer in time."
    return page(request, "partials/deployments/usage.html", dep=dep, usage=found, problem=problem)


@get("/stream-all")
async def stream_all(actor: Actor) -> ServerSentEvent:
    """Status changes of the deployments the actor may see; the list re-fetches its rows."""
    return ServerSentEvent(sse.all_deployment_events(actor))


@post("/{deployment_id:int}/extend")
async def extend(actor: Actor, deployment_id: IdParam) -> Redirect:
    dep = await actions.extend(actor, deployment_id)
    return redirect(f"/deployments/{dep.id}", "Extended: the auto-cleanup countdown starts again.")


@post("/{deployment_id:int}/delete")
async def delete(actor: Actor, deployment_id: IdParam) -> Redirect:
    dep = await actions.delete(actor, deployment_id)
    return redirect(
        f"/deployments/{dep.id}", f"Deleting '{dep.name}': everything it ran is being removed."
    )


@post("/{deployment_id:int}/retry")
async def retry(actor: Actor, deployment_id: IdParam) -> Redirect:
    dep = await actions.retry(actor, deployment_id)
    return redirect(f"/deployments/{dep.id}", f"Retrying with pipeline v{dep.pipeline_version}.")


@get("/{deployment_id:int}/clone")
async def clone_form(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    dep = await deployments.get_deployment(actor, deployment_id, Level.FULL)
    form = {
        "project_id": str(dep.project_id),
        "environment_id": str(dep.environment_id),
        "name": f"{dep.name}-copy"[:63],
        **{f"tag_{k}": v for k, v in dep.tags.items()},
    }
    return await _form(request, actor, form=form, clone_of=dep)


router = Router(
    path="/deployments",
    route_handlers=[
        index,
        new,
        tag_fields,
        create,
        detail,
        live,
        stream,
        stream_all,
        usage,
        extend,
        delete,
        retry,
        clone_form,
    ],
    guards=[requires_login],
    include_in_schema=False,
)
