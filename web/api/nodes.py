"""/api/v1 nodes (DESIGN §7): add to an environment (the token only in that answer), read,
switches, token rotation, revoke, certificate approval, remove, live metrics."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Router, delete, get, patch, post
from litestar.status_codes import HTTP_201_CREATED

from core.actor import Actor
from core.hub import get_hub
from core.services import nodes
from core.services.environments import EnvironmentView
from core.services.nodes import NodeInput, NodeSwitches, NodeView, NodeWithToken
from web.guards import requires_login
from web.params import IdParam


@get("/environments/{environment_id:int}/nodes")
async def list_nodes(
    environment_id: IdParam, visible_environment: EnvironmentView
) -> list[NodeView]:
    return await nodes.list_nodes(environment_id)


@post("/environments/{environment_id:int}/nodes", status_code=HTTP_201_CREATED)
async def add_node(
    actor: Actor, environment_id: IdParam, data: NodeInput, visible_environment: EnvironmentView
) -> NodeWithToken:
    """The answer holds `token`, `run_command` and `docker_command`: shown this once only."""
    return await nodes.add_node(actor, environment_id, data)


@get("/nodes/{node_id:int}")
async def get_node(visible_node: NodeView) -> NodeView:
    return visible_node


@patch("/nodes/{node_id:int}")
async def update_node(
    actor: Actor, node_id: IdParam, data: NodeSwitches, visible_node: NodeView
) -> NodeView:
    return await nodes.set_switches(actor, node_id, data)


@delete("/nodes/{node_id:int}")
async def remove_node(
    actor: Actor, node_id: IdParam, visible_node: NodeView, force: bool = False
) -> None:
    await nodes.remove_node(actor, node_id, force=force)


@post("/nodes/{node_id:int}/rotate-token", status_code=200)
async def rotate_token(actor: Actor, node_id: IdParam, visible_node: NodeView) -> NodeWithToken:
    return await nodes.rotate_token(actor, node_id)


@post("/nodes/{node_id:int}/revoke", status_code=200)
async def revoke(actor: Actor, node_id: IdParam, visible_node: NodeView) -> NodeView:
    return await nodes.revoke(actor, node_id)


@post("/nodes/{node_id:int}/approve-thumbprint", status_code=200)
async def approve_thumbprint(actor: Actor, node_id: IdParam, visible_node: NodeView) -> NodeView:
    return await nodes.approve_thumbprint(actor, node_id)


@get("/nodes/{node_id:int}/metrics")
async def live_metrics(node_id: IdParam, visible_node: NodeView) -> dict[str, Any]:
    """Asked of the agent now (503 when it is not connected)."""
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
