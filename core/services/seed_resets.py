"""Reset to the seeded state (docs/data.md): a database a dataset seeded (a plugin step whose
plugin takes a dataset, `x-dataset-params`, and offers `reset` in `x-data-actions`, as the
shipped postgres-restore does) is put back as the seed made it, without a checkpoint: the
node's agent runs the plugin's `reset` with no checkpoint named, the services that use the
database stopped meanwhile. Needs full access to a running deployment; audited."""

from __future__ import annotations

from agent import protocol as p
from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain.access import Level
from core.errors import Conflict, NotFound
from core.hub import AgentNotFound, get_hub
from core.services.audit import Target, audited
from core.services.checkpoints import DataActionView
from core.services.datasets import plugin_schemas, seeded_steps
from core.services.deployments import DeploymentView, get_deployment
from core.tables import PipelineVersion


async def seeded_steps_of(dep: DeploymentView) -> dict[str, str]:
    """The deployment's steps that can go back to their seed → the dataset's name."""
    row = await (
        PipelineVersion.select(PipelineVersion.graph)
        .where(
            (PipelineVersion.project == dep.project_id)
            & (PipelineVersion.version == dep.pipeline_version)
        )
        .output(load_json=True)
        .first()
        .run()
    )
    graph = graphs.decode(row["graph"] if row else {"nodes": [], "edges": []})
    schemas = await plugin_schemas(graph)
    resettable = {i: s for i, s in schemas.items() if "reset" in s.get("x-data-actions", [])}
    return seeded_steps(graph, resettable)


async def reset_to_seed(actor: Actor, deployment_id: int, step: str) -> DataActionView:
    async with audited(
        actor, "deployment.reset_seed", Target("deployment", deployment_id)
    ) as audit:
        dep = await get_deployment(actor, deployment_id, Level.FULL)
        audit.target = Target(
            "deployment",
            dep.id,
            dep.name,
            project_id=dep.project_id,
            environment_id=dep.environment_id,
        )
        audit.detail = step
        if step not in await seeded_steps_of(dep):
            raise NotFound(f"The deployment has no step {step!r} seeded from a dataset.")
        if dep.status != "running" or dep.node_id is None:
            hint = " Wake it first." if dep.status == "sleeping" else ""
            raise Conflict(f"The deployment is {dep.status}, not running.{hint}")
        request = p.DataAction(id=0, deployment_id=dep.id, step=step, action="reset")
        try:
            result = await get_hub().ask(dep.node_id, request)
        except AgentNotFound as error:
            raise Conflict(f"The agent does not know this deployment ({error.detail}).") from None
        if not result.ok:
            raise Conflict(f"reset of {step} to its seeded state failed: {result.error}")
    return DataActionView(
        step=step,
        action="reset_seed",
        checkpoint="",
        duration_s=result.duration_s,
        stopped=result.stopped,
        log=result.log,
    )
