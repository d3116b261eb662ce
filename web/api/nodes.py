"""/api/v1 nodes (DESIGN §7): add to an environment (the token only in that answer), read,
switches, token rotation, revoke, certificate approval, remove, live metrics."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Router, delete, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_201_CREATED

from core.actor import Actor
from core.hub import get_hub
from core.services import access, nodes
from core.services.nodes import NodeInput, NodeSwitches, NodeView, NodeWithToken
from web.guards import requires_login
from web.params import IdParam


async def _visible_environment(actor: Actor, environment_id: int) -> None:
    if not (await access.access_for(actor)).can_see_environment(environment_id):
        raise NotFoundException("No such environment.")


async def _visible(actor: Actor, node_id: int) -> NodeView:
    node = await nodes.get_node(node_id)
    if not (await access.access_for(actor)).can_see_environment(node.environment_id):
        raise NotFoundException("No such node.")
    return node


@get("/environments/{environment_id:int}/nodes")
async def list_nodes(actor: Actor, environment_id: IdParam) -> list[NodeView]:
    await _visible_environment(actor, environment_id)
    return await nodes.list_nodes(environment_id)


@post("/environments/{environment_id:int}/nodes", status_code=HTTP_201_CREATED)
async def add_node(actor: Actor, environment_id: IdParam, data: NodeInput) -> NodeWithToken:
    """The answer holds `token`, `run_command` and `docker_command`: shown this once only."""
    await _visible_environment(actor, environment_id)
    return await nodes.add_node(actor, environment_id, data)


@get("/nodes/{node_id:int}")
async def get_node(actor: Actor, node_id: IdParam) -> NodeView:
    return await _visible(actor, node_id)


@patch("/nodes/{node_id:int}")
async def update_node(actor: Actor, node_id: IdParam, data: NodeSwitches) -> NodeView:
    await _visible(actor, node_id)
    return await nodes.set_switches(actor, node_id, data)


@delete("/nodes/{node_id:int}")
async def remove_node(actor: Actor, node_id: IdParam, force: bool = False) -> None:
    await _visible(actor, node_id)
    await nodes.remove_node(actor, node_id, force=force)


@post("/nodes/{node_id:int}/rotate-token", status_code=200)
async def rotate_token(actor: Actor, node_id: IdParam) -> NodeWithToken:
    await _visible(actor, node_id)
    return await nodes.rotate_token(actor, node_id)


@post("/nodes/{node_id:int}/revoke", status_code=200)
async def revoke(actor: Actor, node_id: IdParam) -> NodeView:
    await _visible(actor, node_id)
    return await nodes.revoke(actor, node_id)


@post("/nodes/{node_id:int}/approve-thumbprint", status_code=200)
async def approve_thumbprint(actor: Actor, node_id: IdParam) -> NodeView:
    await _visible(actor, node_id)
    return await nodes.approve_thumbprint(actor, node_id)


@get("/nodes/{node_id:int}/metrics")
async def live_metrics(actor: Actor, node_id: IdParam) -> dict[str, Any]:
    """Asked of the agent now (503 when it is not connected)."""
    await _visible(actor, node_id)
    reply = await get_hub().metrics(node_id)
    return msgspec.to_builtins(reply.metrics)


router = Router(
    path="/",
    route_handlers=[
        list_nodes,
        add_node,
        get_node,
        update_node,
        remove_node,
        rotate_token,
        revoke,
        approve_thumbprint,
        live_metrics,
    ],
    guards=[requires_login],
    tags=["nodes"],
)
