"""Nodes: the list on the environment page (live badges), the node page (health, last hour's
chart, deployments, certificate approval, switches) and the token page shown once.

Live updates: the SSE streams below send one named event per node change (`node-<id>`) from
core.events; each badge or card is an HTMX fragment that re-fetches itself on its event.
(The hub itself joins the app in web/lifespan.py's `background`.)
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage, Template

from core import events
from core.actor import Actor
from core.errors import InvalidInput
from core.services import environments, nodes, scheduling
from core.services.environments import EnvironmentView
from core.services.nodes import NodeView
from core.tables import NodeSample
from web import charts
from web.forms import act, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_int, form_data, page, redirect

KEEPALIVE_S = 15.0


async def environment_section(actor: Actor, environment_id: IdParam) -> dict[str, Any]:
    return {
        "environment_sections": ["partials/nodes/section.html"],
        "nodes": await nodes.list_nodes(environment_id),
    }


async def _health(node: nodes.NodeView) -> dict[str, Any]:
    """The health card's figures: the last hour's charts and the room the scheduler sees."""
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    rows = (
        await NodeSample.select()
        .where((NodeSample.node == node.id) & (NodeSample.at >= since))
        .order_by(NodeSample.at)
        .run()
    )
    cpu_used = [(r["at"], r["cpu_used"]) for r in rows]
    cpu_allocated = [(r["at"], r["cpu_allocated"]) for r in rows]
    memory_used = [(r["at"], float(r["memory_used_mb"])) for r in rows]
    memory_allocated = [(r["at"], float(r["memory_allocated_mb"])) for r in rows]
    return {
        "room": await scheduling.load_of_node(node.id),
        "reserved": await scheduling.reserved_to_wake(node.id),
        "cpu_chart": charts.usage_chart(
            "CPU", "cores", cpu_used, cpu_allocated, float(node.capacity.get("cpus", 0))
        ),
        "memory_chart": charts.usage_chart(
            "Memory", "MB", memory_used, memory_allocated, float(node.capacity.get("memory_mb", 0))
        ),
    }


async def _detail(request: Request, node: NodeView, **extra: Any) -> Template:
    return page(
        request,
        "nodes/detail.html",
        node=node,
        environment=await environments.get_environment(node.environment_id),
        deployments=await nodes.live_deployments(node.id),
        **await _health(node),
        **extra,
    )


@get("/nodes/{node_id:int}")
async def detail(request: Request, visible_node: NodeView) -> Template:
    return await _detail(request, visible_node)


@get("/nodes/{node_id:int}/badge")
async def badge(request: Request, visible_node: NodeView) -> Template:
    return page(request, "partials/nodes/badge.html", node=visible_node)


@get("/nodes/{node_id:int}/health")
async def health(request: Request, visible_node: NodeView) -> Template:
    node = visible_node
    return page(request, "partials/nodes/health.html", node=node, **await _health(node))


async def _stream(topic: str, name_of: Any) -> AsyncIterator[ServerSentEventMessage]:
    async with events.subscribe(topic) as queue:
        yield ServerSentEventMessage(comment="connected")
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keepalive")
                continue
            yield ServerSentEventMessage(event=name_of(item), data=json.dumps(item, default=str))


@get("/environments/{environment_id:int}/nodes/stream")
async def environment_stream(
    environment_id: IdParam, visible_environment: EnvironmentView
) -> ServerSentEvent:
    topic = f"environment:{environment_id}"
    return ServerSentEvent(_stream(topic, lambda item: f"node-{item.get('node_id')}"))


@get("/nodes/{node_id:int}/stream")
async def node_stream(actor: Actor, node_id: IdParam, visible_node: NodeView) -> ServerSentEvent:
    return ServerSentEvent(_stream(f"node:{node_id}", lambda item: f"node-{node_id}"))


def node_input(data: dict[str, str]) -> nodes.NodeInput:
    """The environment page's "Add a node" form (its POST is the page's: web.pages.environments,
    so that a refusal redraws that page with the input kept)."""
    return nodes.NodeInput(
        name=data.get("name", ""),
        host=data.get("host", ""),
        port=as_int(data.get("port"), 0) or 0,
    )


def token_page(request: Request, node: nodes.NodeView, created: bool) -> Template:
    """The node's token, shown once: on this answer only, never through a redirect."""
    status_code = 201 if created else 200
    return page(request, "nodes/token.html", node=node, created=created, status_code=status_code)


@post("/nodes/{node_id:int}/rotate-token")
async def rotate(
    request: Request, actor: Actor, node_id: IdParam, visible_node: NodeView
) -> Template:
    return token_page(request, await nodes.rotate_token(actor, node_id), created=False)


@post("/nodes/{node_id:int}/revoke")
async def revoke(actor: Actor, node_id: IdParam, visible_node: NodeView) -> Redirect:
    await nodes.revoke(actor, node_id)
    return redirect(f"/nodes/{node_id}", "Token revoked: the node is disconnected.")


@post("/nodes/{node_id:int}/approve-thumbprint")
async def approve(actor: Actor, node_id: IdParam, visible_node: NodeView) -> Template | Redirect:
    return await act(
        nodes.approve_thumbprint(actor, node_id),
        back=f"/nodes/{node_id}",
        done=lambda _: redirect(f"/nodes/{node_id}", "New certificate approved: connecting."),
    )


@post("/nodes/{node_id:int}/switches")
async def switches(
    request: Request, actor: Actor, node_id: IdParam, visible_node: NodeView
) -> Template | Redirect:
    return await submit(
        request,
        lambda data: nodes.set_switches(
            actor,
            node_id,
            nodes.NodeSwitches(
                schedulable=data.get("schedulable") == "on",
                enabled=data.get("enabled") == "on",
                cpu_reserve=_number(data, "cpu_reserve"),
                cpu_overcommit=_number(data, "cpu_overcommit"),
            ),
        ),
        done=lambda _: redirect(f"/nodes/{node_id}", "Node saved."),
        redraw=partial(_detail, request, visible_node),
    )


def _number(data: dict[str, Any], name: str) -> float | None:
    text = str(data.get(name, "")).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"'{text[:20]}' is not a number.", name) from None


@post("/nodes/{node_id:int}/delete")
async def remove(
    request: Request, actor: Actor, node_id: IdParam, visible_node: NodeView
) -> Template | Redirect:
    node = visible_node
    data = await form_data(request)
    return await act(
        nodes.remove_node(actor, node_id, force=data.get("force") == "on"),
        back=f"/nodes/{node_id}",
        done=lambda _: redirect(
            f"/environments/{node.environment_id}", f"Node '{node.name}' removed."
        ),
    )


router = Router(
    path="/",
    route_handlers=[
        detail,
        badge,
        health,
        environment_stream,
        node_stream,
        rotate,
        revoke,
        approve,
        switches,
        remove,
    ],
    guards=[requires_login],
    include_in_schema=False,
)
