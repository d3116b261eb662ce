"""Reading the stderr a plugin step left (core.services.step_logs keeps it): whoever may see the
deployment may read it, whole, as text; for anyone else the deployment does not exist."""

from __future__ import annotations

from core.actor import Actor
from core.errors import NotFound
from core.services import deployments
from core.tables import PipelineStep


async def step_log(actor: Actor, deployment_id: int, run_id: int, node_id: str) -> str:
    await deployments.get_deployment(actor, deployment_id)  # 404 unless visible
    row = await (
        PipelineStep.select(PipelineStep.log)
        .where(
            (PipelineStep.run == run_id)
            & (PipelineStep.run.deployment == deployment_id)
            & (PipelineStep.node_id == node_id)
        )
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such step in this deployment's runs.")
    return row["log"]
