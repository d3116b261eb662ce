"""One handler per request type; `handle` dispatches. A handler returns the reply, or None
when it already queued the reply itself (so it can order the reply before its events)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from agent.handlers import deployments, logs, node
from agent.protocol import (
    Delete,
    Deploy,
    GetMetrics,
    GetState,
    Logs,
    LogsStop,
    Reply,
    Request,
    RotateToken,
    Sync,
    UpdatePlugins,
)

if TYPE_CHECKING:
    from agent.app import App
    from agent.events import Session

Handler = Callable[[Any, Any, Any], Awaitable[Reply | None]]

HANDLERS: dict[type, Handler] = {
    Deploy: deployments.deploy,
    Delete: deployments.delete,
    Sync: deployments.sync,
    GetState: deployments.get_state,
    Logs: logs.start,
    LogsStop: logs.stop,
    GetMetrics: node.get_metrics,
    UpdatePlugins: node.update_plugins,
    RotateToken: node.rotate_token,
}


async def handle(app: App, session: Session, request: Request) -> Reply | None:
    return await HANDLERS[type(request)](app, session, request)
