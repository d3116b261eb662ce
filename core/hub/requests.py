"""What the hub does for a request, on the process that holds the agent connections (the leader).

Every hub request is a typed message: the agent protocol's own request (Deploy, Delete,
Sleep, Wake, GetMetrics, RotateToken, Logs) or one of the hub's notices below. A leader runs
it here at once; a follower sends it to the leader wrapped in `Forward` (core.hub.forward),
and the leader runs the same handler. To add a request: its message type, a handler, a row
in ROUTES (tests/unit/core/hub/test_routes.py checks every protocol request is routed or
deliberately not), and a Hub method that asks for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol, Union

import msgspec
from msgspec import Struct

from agent import protocol as p
from core.errors import AgentUnavailable, InvalidInput
from core.hub.connection import NodeConnection
from core.hub.plugin_push import push
from core.hub.sink import PluginList
from core.services import step_outputs

EXEC_GRACE_S = 15.0
# A data action copies a database (its plugin's own timeout bounds each run) and restarts the
# services that use it: the hub waits this long at most.
DATA_ACTION_WITHIN_S = 3600.0
TerminalItem = p.TerminalOutput | p.TerminalEnded


class NodeChanged(Struct, tag="hub_node_changed", tag_field="type", kw_only=True):
    """A node row changed (added, switched, approved, revoked, removed): re-read it."""


class PluginsChanged(Struct, tag="hub_plugins_changed", tag_field="type", kw_only=True):
    """The catalog's plugin list changed: the leader sends its current list to every agent."""


class Leader(Protocol):
    """What a handler uses of the hub (core.hub.hub.Hub)."""

    connections: dict[int, NodeConnection]
    plugins: PluginList

    def local(self, node_id: int) -> NodeConnection: ...

    async def refresh(self, node_id: int | None = None) -> None: ...


@dataclass(frozen=True)
class Route:
    # (leader, node_id, request) → the result, or for a stream an async iterator of items
    handle: Callable[[Any, Any, Any], Any]
    result: Any = None  # the result's type (each item's for a stream); None: no result
    stream: bool = False


async def _to_agent(hub: Leader, node_id: int, request: Any) -> Any:
    """Send the message to the node's agent; the connection gives it its own request id."""
    fields = msgspec.structs.asdict(request)
    del fields["id"]
    return await hub.local(node_id).request(type(request), **fields)


async def _node_changed(hub: Leader, node_id: int, _request: NodeChanged) -> None:
    await hub.refresh(node_id)


async def _plugins_changed(hub: Leader, _node_id: None, _request: PluginsChanged) -> None:
    await push(hub.connections.values(), await hub.plugins())


async def _deploy(hub: Leader, node_id: int, request: p.Deploy) -> None:
    await _to_agent(hub, node_id, request)


async def _delete(hub: Leader, node_id: int, request: p.Delete) -> None:
    connection = hub.local(node_id)
    # The leader adds what plugin rollbacks need: an agent restarted since the deploy has
    # neither the secrets nor the real step outputs, and its rollbacks would fail.
    secrets, outputs = await step_outputs.rollback_inputs(request.deployment_id)
    await connection.request(
        p.Delete, deployment_id=request.deployment_id, secrets=secrets, outputs=outputs
    )


async def _sleep(hub: Leader, node_id: int, request: p.Sleep) -> None:
    await _to_agent(hub, node_id, request)


async def _wake(hub: Leader, node_id: int, request: p.Wake) -> None:
    await _to_agent(hub, node_id, request)


async def _metrics(hub: Leader, node_id: int, request: p.GetMetrics) -> p.MetricsReply:
    return await _to_agent(hub, node_id, request)


async def _exec(hub: Leader, node_id: int, request: p.Exec) -> p.ExecResult:
    fields = msgspec.structs.asdict(request)
    del fields["id"]
    # The agent answers when the command ends or its own timer fires: wait a little longer.
    within = request.timeout_s + EXEC_GRACE_S
    return await hub.local(node_id).request(p.Exec, within, **fields)


async def _data_action(hub: Leader, node_id: int, request: p.DataAction) -> p.DataResult:
    fields = msgspec.structs.asdict(request)
    del fields["id"]
    return await hub.local(node_id).request(p.DataAction, DATA_ACTION_WITHIN_S, **fields)


async def _dataset_put(hub: Leader, node_id: int, request: p.DatasetPut) -> p.DatasetHave:
    fields = msgspec.structs.asdict(request)
    del fields["id"]
    # The last chunk makes the agent hash the whole file: a few seconds per GB.
    return await hub.local(node_id).request(p.DatasetPut, DATA_ACTION_WITHIN_S, **fields)


def _live_session(hub: Leader, node_id: int) -> Any:
    session = hub.local(node_id).session
    if session is None or session.closed:
        raise AgentUnavailable(f"The agent of node {node_id} is not connected.")
    return session


async def _terminal_open(
    hub: Leader, node_id: int, request: p.TerminalOpen
) -> AsyncIterator[p.TerminalOutput | p.TerminalEnded]:
    connection = hub.local(node_id)
    session = _live_session(hub, node_id)
    opened = msgspec.structs.replace(request, id=next(connection.ids))
    stream = session.terminal(opened)
    try:
        async for item in stream:
            yield item
    finally:
        await stream.aclose()


async def _terminal_send(hub: Leader, node_id: int, request: Any) -> None:
    await _live_session(hub, node_id).send(request)


async def _terminal_input(hub: Leader, node_id: int, request: p.TerminalInput) -> None:
    await _terminal_send(hub, node_id, request)


async def _terminal_resize(hub: Leader, node_id: int, request: p.TerminalResize) -> None:
    await _terminal_send(hub, node_id, request)


async def _terminal_ack(hub: Leader, node_id: int, request: p.TerminalAck) -> None:
    await _terminal_send(hub, node_id, request)


async def _terminal_close(hub: Leader, node_id: int, request: p.TerminalClose) -> None:
    await _terminal_send(hub, node_id, request)


async def _rotate_token(hub: Leader, node_id: int, request: p.RotateToken) -> bool:
    """Push the new key over the live session; False when the node is not connected (its
    agent then needs a restart with the new token)."""
    try:
        key = bytes.fromhex(request.new_key)
    except ValueError:
        raise InvalidInput("A node token key is 64 hexadecimal digits.", "new_key") from None
    connection = hub.connections.get(node_id)
    if connection is None:
        return False
    pushed = False
    if connection.online:
        await connection.request(p.RotateToken, new_key=request.new_key)
        pushed = True
    connection.target.key = key
    return pushed


async def _logs(hub: Leader, node_id: int, request: p.Logs) -> AsyncIterator[p.LogLine]:
    connection = hub.local(node_id)
    stream = connection.open_logs(
        request.deployment_id,
        request.step,
        request.tail,
        request.follow,
        request.since,
        request.timestamps,
    )
    try:
        async for line in stream:
            yield line
    finally:
        await stream.aclose()


ROUTES: dict[type, Route] = {
    NodeChanged: Route(_node_changed),
    PluginsChanged: Route(_plugins_changed),
    p.Deploy: Route(_deploy),
    p.Delete: Route(_delete),
    p.Sleep: Route(_sleep),
    p.Wake: Route(_wake),
    p.GetMetrics: Route(_metrics, result=p.MetricsReply),
    p.RotateToken: Route(_rotate_token, result=bool),
    p.Logs: Route(_logs, result=p.LogLine, stream=True),
    p.Exec: Route(_exec, result=p.ExecResult),
    p.DataAction: Route(_data_action, result=p.DataResult),
    p.DatasetPut: Route(_dataset_put, result=p.DatasetHave),
    p.TerminalOpen: Route(_terminal_open, result=TerminalItem, stream=True),
    p.TerminalInput: Route(_terminal_input),
    p.TerminalResize: Route(_terminal_resize),
    p.TerminalAck: Route(_terminal_ack),
    p.TerminalClose: Route(_terminal_close),
}

# Protocol requests only the leader's own connection sends: Sync after each handshake,
# LogsStop when a log reader leaves, GetState on demand, UpdatePlugins for PluginsChanged.
NOT_FORWARDED: frozenset[type] = frozenset({p.Sync, p.LogsStop, p.GetState, p.UpdatePlugins})

Forwardable = Union[tuple(ROUTES)]  # noqa: UP007  (built from the table, not written out)


class Forward(Struct, kw_only=True):
    """A follower's request as it travels to the leader (sealed, see core.hub.forward).
    Protocol messages travel with id 0: the leader's connection numbers them."""

    node_id: int | None
    request: Forwardable  # type: ignore[valid-type]
