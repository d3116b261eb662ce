"""Deployments: the list and each deployment's live page (the forms: deployment_forms.py)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, ServerSentEvent, Template

from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain import status
from core.errors import Forbidden, NotFound, ShoalError
from core.services import (
    access,
    deployment_history,
    deployment_list,
    deployments,
)
from core.services import deployment_actions as actions
from core.tables import PipelineVersion
from web import deployment_notices as notices
from web import deployment_page, sse
from web.forms import act, submit
from web.guards import requires_login
from web.listed_deployments import with_schedules
from web.pages import deployment_forms
from web.params import IdParam
from web.rendering import as_int, form_data, page, redirect

PAGE_SIZE = 50


def _filters(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "before_id": as_int(data.get("before")),
        "limit": PAGE_SIZE,
        "project_id": as_int(data.get("project_id")),
        "environment_id": as_int(data.get("environment_id")),
        "status_filter": data.get("status") or None,
        "mine": data.get("mine") == "1",
        "name_contains": (data.get("q") or "").strip()[:63] or None,  # names are 63 at most
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
        deployments=await with_schedules(listing),
        query=dict(request.query_params),
        projects=project_choices,
        environments=environment_choices,
        statuses=status.ALL,
        request_query=str(request.url.query or ""),
        older=listing[-1].id if len(listing) == PAGE_SIZE else None,
        older_query={k: v for k, v in request.query_params.items() if k != "before"},
    )


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: deployments.create_deployment(actor, deployment_forms.deployment_input(data)),
        done=lambda dep: redirect(
            f"/deployments/{dep.id}",
            f"Deployment '{dep.name}' is on its way.",
            about=notices.about(dep.id),
        ),
        redraw=partial(deployment_forms.form_page, request, actor),
    )


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
    run = await deployment_history.latest_run(dep.id)
    return {
        "dep": dep,
        "run": run,
        "idle_step": notices.idle_step(run, dep),
        "order": [node for layer in graphs.layers(graph) for node in layer],
        "services": [n.id for n in graph.nodes if n.kind == "service"],
        "history": await deployment_history.history(dep.id),
        **await deployment_page.extras(actor, dep),
        "can": {
            "act": dep.level == "full",
            "extend": dep.level == "full" and status.can_extend(dep.status),
            "delete": dep.level == "full" and status.can_delete(dep.status),
            "retry": dep.level == "full" and status.can_retry(dep.status),
        },
    }


@get("/{deployment_id:int}")
async def detail(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    context = await _detail_context(actor, deployment_id)
    response = page(request, "deployments/detail.html", **context)
    # An action's toast ("on its way") says what the state is by now (failed, running…).
    response.context["flash"] = notices.followed_flash(
        response.context.get("flash"), context["dep"]
    )
    return response


@get("/{deployment_id:int}/live")
async def live(
    request: Request, actor: Actor, deployment_id: IdParam, toast: str | None = None
) -> Template:
    """HTMX: the status card and steps, re-rendered when an SSE event says something changed;
    with the page's toast about this deployment (`toast`), a replacement once it is outdated."""
    context = await _detail_context(actor, deployment_id)
    if toast == notices.about(deployment_id):
        context["toast"] = notices.follow(context["dep"])
    return page(request, "partials/deployments/live.html", **context)


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
    return page(
        request,
        "partials/deployments/usage.html",
        dep=dep,
        usage=found,
        problem=problem,
        charts=await deployment_page.service_charts(dep),
    )


@get("/stream-all")
async def stream_all(actor: Actor) -> ServerSentEvent:
    """Status changes of the deployments the actor may see; the list re-fetches its rows."""
    return ServerSentEvent(sse.all_deployment_events(actor))


@post("/{deployment_id:int}/extend")
async def extend(request: Request, actor: Actor, deployment_id: IdParam) -> Template | Redirect:
    raw = (await form_data(request)).get("hours", "")
    hours = as_int(raw, 0) if raw else None  # 0 (refused) for anything but a number
    return await act(
        actions.extend(actor, deployment_id, hours),
        back=f"/deployments/{deployment_id}",
        done=lambda dep: redirect(
            f"/deployments/{dep.id}", "Extended: the auto-cleanup countdown starts again."
        ),
        raises=(NotFound, Forbidden),  # no page to go back to: the error page, as for a GET
    )


@post("/{deployment_id:int}/delete")
async def delete(actor: Actor, deployment_id: IdParam) -> Redirect:
    dep = await actions.delete(actor, deployment_id)
    return redirect(
        f"/deployments/{dep.id}",
        f"Deleting '{dep.name}': everything it ran is being removed.",
        about=notices.about(dep.id),
    )


router = Router(
    path="/deployments",
    route_handlers=[
        index,
        create,
        detail,
        live,
        stream,
        stream_all,
        usage,
        extend,
        delete,
    ],
    guards=[requires_login],
    include_in_schema=False,
)
