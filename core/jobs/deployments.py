"""SAQ tasks that hand a deployment to its node's agent through the hub, and the sweeper.

Task names are part of the queue's data: never rename them.
"""

from __future__ import annotations

import logging

from core import runtime
from core.domain import status
from core.errors import AgentUnavailable, ShoalError
from core.notifications import expiring
from core.services import dataset_nodes, deployment_actions, deployment_specs, lifecycle
from core.tables import Deployment

log = logging.getLogger("shoal.jobs")


async def _set(deployment_id: int, new_status: str, error: str = "") -> bool:
    """False when the deployment moved on meanwhile (a delete won the race): leave it be."""
    return await lifecycle.move(deployment_id, new_status, error=error)


async def _node_and_status(deployment_id: int) -> dict | None:
    return (
        await Deployment.select(Deployment.node, Deployment.status)
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )


async def run_deployment(ctx: dict, *, deployment_id: int) -> dict:
    from core.hub import get_hub  # the hub owns the agent connections of this installation

    row = await _node_and_status(deployment_id)
    if row is None or row["status"] not in (status.PENDING, status.OFFLINE):
        return {"skipped": row["status"] if row else "gone"}
    try:
        spec = await deployment_specs.build_spec(deployment_id)
    except ShoalError as exc:
        await _set(deployment_id, status.FAILED, exc.detail)
        return {"failed": exc.detail}
    if not await _set(deployment_id, status.DEPLOYING):
        return {"skipped": "changed meanwhile"}
    try:
        for ref in dataset_nodes.refs_of(spec):
            await dataset_nodes.send_to_node(
                get_hub(), row["node"], ref, runtime.settings().data_path
            )
        await get_hub().deploy(row["node"], spec)
    except AgentUnavailable as exc:
        # The node's desired state still holds it: it runs as soon as the agent is back.
        await _set(deployment_id, status.OFFLINE, exc.detail)
        return {"offline": exc.detail}
    except dataset_nodes.DatasetRefused as exc:
        await _set(deployment_id, status.FAILED, exc.detail)
        return {"failed": exc.detail}
    return {"sent": deployment_id}


async def delete_deployment(ctx: dict, *, deployment_id: int) -> dict:
    from core.hub import get_hub

    row = await _node_and_status(deployment_id)
    if row is None or row["status"] != status.DELETING:
        return {"skipped": row["status"] if row else "gone"}
    if row["node"] is None:
        await _set(deployment_id, status.DELETED)
        return {"deleted": deployment_id}
    try:
        await get_hub().delete(row["node"], deployment_id)
    except AgentUnavailable as exc:
        # Not in the node's desired state any more: its agent removes it at the next sync.
        log.info("deployment %s: delete waits for its node (%s)", deployment_id, exc.detail)
        return {"waiting": exc.detail}
    return {"sent": deployment_id}


async def sweep_expired(ctx: dict) -> dict:
    # Warnings first: a deployment about to go is announced before it is deleted.
    warned = await expiring.warn()
    return {"warned": warned, "deleted": await deployment_actions.sweep_expired()}
