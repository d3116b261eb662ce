"""What a node connection reports, as one interface: the hub's database-backed sink implements
it (core.hub.recorder), unit tests and the load generator use small in-memory ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.protocol import DeploymentSpec, DeploymentState, Hello, PluginInfo, Welcome

# What the hub is given to build a node's Sync (core.services.deployment_actions has both):
# every deployment that should exist on a node, each as its DeploymentSpec or as a
# deployment_specs.Unbuildable (why its spec cannot be built now); and the catalog's plugins.
DesiredState = Callable[[int], Awaitable[list[Any]]]
PluginList = Callable[[], Awaitable[list[PluginInfo]]]


async def no_deployments(node_id: int) -> list[Any]:
    return []


async def no_plugins() -> list[PluginInfo]:
    return []


@dataclass
class Desired:
    """What a Sync carries: the specs, the plugin list, and the deployments the node should
    keep without a spec (the control plane cannot build theirs now; the agent keeps them if it
    has them, and the sink resolves the others after the sync)."""

    specs: list[DeploymentSpec]
    plugins: list[PluginInfo]
    keep: list[int] = field(default_factory=list)


class Sink(Protocol):
    async def desired(self, node_id: int) -> Desired:
        """What should run on the node: sent in Sync after every handshake."""

    async def online(self, node_id: int, hello: Hello, welcome: Welcome, thumbprint: str) -> None:
        """The handshake succeeded; `thumbprint` is pinned from now on (first contact)."""

    async def synced(self, node_id: int, states: list[DeploymentState]) -> None:
        """The agent accepted the desired state and reported what it actually has."""

    async def event(self, node_id: int, event: Any) -> None:
        """One agent event (heartbeat, step, status…), in the order the agent sent them."""

    async def offline(self, node_id: int, status: str, error: str) -> None:
        """Not connected: `status` is offline or auth_failed, `error` says why in plain words."""

    async def untrusted(self, node_id: int, presented: str) -> None:
        """The agent showed another certificate than the pinned one; the hub stops retrying."""

    async def incompatible(
        self, node_id: int, agent_version: str, protocol_version: int, message: str
    ) -> None:
        """The agent speaks another protocol version; retried only when its version changes."""
