"""One handler per request type; `handle` dispatches. A handler takes the HandlerContext, the
session and its request, and returns the reply, or None when it already queued the reply itself
(so it can order the reply before its events).

A new request type takes three edits, which tests/unit/agent/test_handlers.py holds together:
its Struct in agent/protocol/messages.py (and in the `Request` union there), its handler in the
area's module here (deployments, logs, node, or a new one), and its row in HANDLERS below."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from agent.handlers import datasets, deployments, execs, logs, node, terminals
from agent.protocol import (
    DataAction,
    DatasetPut,
    Delete,
    Deploy,
    Exec,
    GetMetrics,
    GetState,
    Logs,
    LogsStop,
    Reply,
    Request,
    RotateToken,
    Sleep,
    Sync,
    TerminalAck,
    TerminalClose,
    TerminalInput,
    TerminalOpen,
    TerminalResize,
    UpdatePlugins,
    Wake,
)

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext

Handler = Callable[[Any, Any, Any], Awaitable[Reply | None]]

HANDLERS: dict[type, Handler] = {
    Deploy: deployments.deploy,
    Delete: deployments.delete,
    Sleep: deployments.sleep,
    Wake: deployments.wake,
    Sync: deployments.sync,
    GetState: deployments.get_state,
    Logs: logs.start,
    LogsStop: logs.stop,
    GetMetrics: node.get_metrics,
    UpdatePlugins: node.update_plugins,
    RotateToken: node.rotate_token,
    Exec: execs.run,
    DataAction: deployments.data_action,
    DatasetPut: datasets.put,
    TerminalOpen: terminals.open_,
    TerminalInput: terminals.input_,
    TerminalResize: terminals.resize,
    TerminalAck: terminals.ack,
    TerminalClose: terminals.close,
}


async def handle(ctx: HandlerContext, session: Session, request: Request) -> Reply | None:
    return await HANDLERS[type(request)](ctx, session, request)
