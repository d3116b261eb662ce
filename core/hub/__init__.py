"""The agent hub: the control plane's side of the agent protocol (see agent.protocol).

    hub = get_hub()                      # the process-wide Hub (leader or follower)
    await hub.deploy(node_id, spec)      # Deploy; AgentUnavailable when not connected
    await hub.delete(node_id, deployment_id)
    async for line in hub.logs(node_id, deployment_id, service, tail, follow, since=…): ...
    await hub.metrics(node_id)           # -> MetricsReply
    await hub.node_changed(node_id)      # after any change to a node row
    await hub.rotate_token(node_id, new_key_hex)

A hub is given `desired_state(node_id)` and `plugins()`, which build the Sync sent after
every handshake (web.lifespan passes core.services.deployment_actions' two). Every `serve`
process starts a hub (`start_in_app`): one leads (advisory lock), the others forward their
requests to it; SHOAL_HUB_ROLE=follower makes a process never lead. Modules: config (knobs,
backoff), connection (one node), session (one live socket), hub (leader election, all nodes),
requests (each request type and what the leader does for it), forward (followers → leader),
wire_errors (errors across that hop), recorder + events (what agents say → database → live
events).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable

from core.hub.config import HubConfig, backoff_delay, config_from
from core.hub.connection import shrink_tls_read_buffers
from core.hub.hub import Hub
from core.hub.session import AgentNotFound, AgentRequestFailed
from core.hub.sink import DesiredState, PluginList, no_deployments, no_plugins

__all__ = [
    "AgentNotFound",
    "AgentRequestFailed",
    "Hub",
    "HubConfig",
    "backoff_delay",
    "get_hub",
    "install",
    "start_in_app",
]

log = logging.getLogger("shoal.hub")


_hub: Hub | None = None


def get_hub() -> Hub:
    """The process's hub; one that is never started acts as a follower that cannot reach the
    leader until `start_in_app` (or a test) starts it."""
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub


def install(hub: Hub | None) -> Hub | None:
    """Make `hub` the process's hub (tests); returns the previous one."""
    global _hub
    previous, _hub = _hub, hub
    return previous


async def start_in_app(
    settings: object,
    queue: object = None,
    *,
    desired_state: DesiredState = no_deployments,
    plugins: PluginList = no_plugins,
) -> Callable[[], Awaitable[None]]:
    """web.lifespan background hook: start this process's hub; returns its stop function."""
    shrink_tls_read_buffers()
    hub = Hub(config_from(settings), desired_state=desired_state, plugins=plugins)
    await hub.start(os.environ["SHOAL_RUNTIME_DSN"])
    if _hub is None or not _hub.dsn:  # a hub already started here (a test's) stays in charge
        install(hub)
    log.info("hub started (role %s)", hub.config.role)
    return hub.stop
