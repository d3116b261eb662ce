"""The agent hub: the control plane's side of the agent protocol (see agent.protocol).

    hub = get_hub()                      # this runtime's Hub (leader or follower)
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

from core import runtime
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
    "start_in_app",
]

log = logging.getLogger("shoal.hub")


def get_hub() -> Hub:
    """This runtime's hub (core/runtime.py); one that is never started acts as a follower that
    cannot reach the leader until `start_in_app` (or a test) starts one. Outside a runtime: a
    new, unstarted one, so a call made there fails as "agent unavailable", never elsewhere."""
    found = runtime.current()
    if found is None:
        return Hub()
    if not isinstance(found.hub, Hub):
        found.hub = Hub()
    return found.hub


async def start_in_app(
    started: runtime.Runtime,
    *,
    desired_state: DesiredState = no_deployments,
    plugins: PluginList = no_plugins,
) -> Callable[[], Awaitable[None]]:
    """web.lifespan background hook: start the runtime's hub; returns its stop function."""
    shrink_tls_read_buffers()
    hub = Hub(config_from(started.settings), desired_state=desired_state, plugins=plugins)
    await hub.start(os.environ["SHOAL_RUNTIME_DSN"])
    started.hub = hub
    log.info("hub started (role %s)", hub.config.role)
    return hub.stop
