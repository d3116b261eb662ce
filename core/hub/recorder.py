"""The hub's sink: connection states and agent events written to the nodes table (and the
deployments on them), then published for the live pages. See core.hub.sink for the contract."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from agent import protocol as p
from core.errors import ShoalError
from core.hub import events
from core.hub.sink import Desired, DesiredState, PluginList
from core.hub.unreported import resolve_unreported
from core.notifications import outbox
from core.tables import Deployment, Node

log = logging.getLogger("shoal.hub")


class Requests(Protocol):
    """The requests the sink sends back to a node (the hub's own methods)."""

    async def deploy(self, node_id: int, spec: p.DeploymentSpec) -> None: ...

    async def delete(self, node_id: int, deployment_id: int) -> None: ...


async def _send_waiting_deletes(hub: Requests, node_id: int) -> None:
    """Deletes that waited for this node go out before its desired state, each with the secrets
    and real step outputs its plugin rollbacks need: the Sync that leaves the deployment out
    would have the agent (perhaps restarted meanwhile, so knowing neither) roll back without."""
    rows = await (
        Deployment.select(Deployment.id)
        .where((Deployment.node == node_id) & (Deployment.status == "deleting"))
        .run()
    )
    for row in rows:
        try:
            await hub.delete(node_id, row["id"])
        except ShoalError as error:  # the Sync still removes it, without the rollback inputs
            log.warning("node %s: delete of deployment %s not sent: %s", node_id, row["id"], error)


class DatabaseSink:
    def __init__(self, hub: Requests, desired_state: DesiredState, plugins: PluginList) -> None:
        self.hub, self.desired_state, self.plugins = hub, desired_state, plugins

    async def desired(self, node_id: int) -> Desired:
        """A deployment whose spec cannot be built now is kept as it is if the agent has it
        (a master key or catalog mistake must not tear down what runs); `synced` resolves it
        when the agent does not."""
        await _send_waiting_deletes(self.hub, node_id)
        desired = Desired(specs=[], plugins=list(await self.plugins()))
        for wanted in await self.desired_state(node_id):
            if isinstance(wanted, p.DeploymentSpec):
                desired.specs.append(wanted)
            else:  # deployment_specs.Unbuildable
                log.warning(
                    "node %s: deployment %s cannot be sent: %s",
                    node_id,
                    wanted.deployment_id,
                    wanted.reason,
                )
                desired.keep.append(wanted.deployment_id)
        return desired

    async def online(
        self, node_id: int, hello: p.Hello, welcome: p.Welcome, thumbprint: str
    ) -> None:
        capacity = {"cpus": welcome.capacity.cpus, "memory_mb": welcome.capacity.memory_mb}
        events.forget_node(node_id)
        rows = (
            await Node.update(
                {
                    Node.status: "online",
                    Node.last_error: "",
                    Node.agent_version: welcome.agent_version[:32],
                    Node.protocol_version: welcome.protocol_version,
                    Node.publish_address: welcome.publish_address[:253],
                    Node.capacity: capacity,
                    Node.thumbprint: thumbprint,
                    Node.pending_thumbprint: "",
                }
            )
            .where(Node.id == node_id)
            .returning(Node.environment)
            .run()
        )
        if rows:
            await events.publish_node(node_id, rows[0]["environment"], "status", status="online")
            events.request_ingress_sync()
            await outbox.node_came_back(node_id)

    async def synced(self, node_id: int, states: list[p.DeploymentState]) -> None:
        await events.record_states(node_id, states)
        reported = {state.deployment_id for state in states}
        await resolve_unreported(node_id, reported, self.hub.deploy)

    async def event(self, node_id: int, event: Any) -> None:
        await events.dispatch(node_id, event)

    async def offline(self, node_id: int, status: str, error: str) -> None:
        await events.mark_node_offline(node_id, status, error)

    async def untrusted(self, node_id: int, presented: str) -> None:
        await Node.update({Node.pending_thumbprint: presented}).where(Node.id == node_id).run()
        await events.mark_node_offline(
            node_id,
            "untrusted",
            f"the agent presented another certificate ({presented[:16]}…) than the pinned one; "
            "an admin must approve it on the node page before the hub connects again",
        )

    async def incompatible(
        self, node_id: int, agent_version: str, protocol_version: int, message: str
    ) -> None:
        await (
            Node.update(
                {Node.agent_version: agent_version[:32], Node.protocol_version: protocol_version}
            )
            .where(Node.id == node_id)
            .run()
        )
        await events.mark_node_offline(node_id, "incompatible", message)
