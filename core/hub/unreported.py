"""After a Sync: the node's deployments still `offline` that its agent did not report.

Such a deployment has nothing left on the node: its containers and the agent's record of it
are gone (a wiped or replaced machine). The control plane is the source of truth, so it is
deployed again from its desired state; when its spec cannot be built (a secret that no longer
decrypts, a catalog entry gone), it is marked failed with that reason. Either way it never
stays `offline` while its node is online.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

from agent.protocol import DeploymentSpec
from core.errors import AgentUnavailable, ShoalError
from core.services import deployment_specs, lifecycle
from core.tables import Deployment

log = logging.getLogger("shoal.hub")

GONE = "Its node came back without it, and it cannot be re-created: {reason}"

Deploy = Callable[[int, DeploymentSpec], Awaitable[None]]  # the hub's deploy(node_id, spec)


async def resolve_unreported(node_id: int, reported: Collection[int], deploy: Deploy) -> None:
    rows = await (
        Deployment.select(Deployment.id)
        .where((Deployment.node == node_id) & (Deployment.status == "offline"))
        .order_by(Deployment.id)
        .run()
    )
    for row in rows:
        if row["id"] not in reported:
            await _recreate(node_id, row["id"], deploy)


async def _recreate(node_id: int, deployment_id: int, deploy: Deploy) -> None:
    built = await deployment_specs.spec_or_reason(deployment_id)
    if isinstance(built, deployment_specs.Unbuildable):
        log.warning("node %s: deployment %s is lost: %s", node_id, deployment_id, built.reason)
        await _fail(node_id, deployment_id, built.reason)
        return
    if not await lifecycle.move(deployment_id, "deploying", node_id=node_id):
        return  # moved on meanwhile (deleted, or the agent spoke after all)
    log.info("node %s: deployment %s is gone from it; deploying it again", node_id, deployment_id)
    try:
        await deploy(node_id, built)
    except AgentUnavailable:
        pass  # offline again, and the next sync sends it
    except ShoalError as error:  # the agent refused it
        await _fail(node_id, deployment_id, error.detail)


async def _fail(node_id: int, deployment_id: int, reason: str) -> None:
    await lifecycle.move(deployment_id, "failed", error=GONE.format(reason=reason), node_id=node_id)
