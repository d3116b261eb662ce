"""Checkpoints of a deployment's databases (issue 24, docs/data.md): for each plugin step whose
plugin offers data actions (`x-data-actions` in its schema) and that succeeded, save a named
checkpoint, reset the database to one, delete one. Reading needs read access; every change
needs full access and is audited. The node's agent does the work (agent/data_actions.py): it
stops the services that use the database meanwhile and starts them again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
import msgspec

from agent import protocol as p
from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain.access import Level
from core.errors import Conflict, InvalidInput, NotFound
from core.hub import AgentNotFound, get_hub
from core.services.audit import Target, audited
from core.services.deployments import DeploymentView, get_deployment
from core.tables import Checkpoint, PipelineRun, PipelineStep, PipelineVersion, Plugin

MAX_NAME = 100
NEEDED = {"checkpoint", "reset", "drop_checkpoint"}


class CheckpointInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
    """Unique among the database's checkpoints; 1 to 100 characters."""


class CheckpointView(msgspec.Struct, kw_only=True):
    id: int
    step: str
    name: str
    created_by: str | None
    created_at: datetime
    size_bytes: int


class DatabaseView(msgspec.Struct, kw_only=True):
    step: str  # the plugin step whose database it is
    database: str
    checkpoints: list[CheckpointView]
    used_bytes: int  # the checkpoints' copies, counted in the deployment's disk use


class DataActionView(msgspec.Struct, kw_only=True):
    step: str
    action: str
    checkpoint: str
    duration_s: float
    stopped: list[str]  # the services stopped during the swap and started again
    log: str


async def _data_steps(dep: DeploymentView) -> dict[str, str]:
    """Data-capable plugin steps of the deployment that succeeded → their database's name."""
    row = (
        await PipelineVersion.select(PipelineVersion.graph)
        .where(
            # DeploymentView.pipeline_version is the project's version number, not the row id
            (PipelineVersion.project == dep.project_id)
            & (PipelineVersion.version == dep.pipeline_version)
        )
        .output(load_json=True)
        .first()
        .run()
    )
    graph = graphs.decode(row["graph"]) if row else graphs.decode({"nodes": [], "edges": []})
    wanted = {n.id: n.config.get("plugin_id") for n in graph.nodes if n.kind == "plugin"}
    ids = [i for i in wanted.values() if isinstance(i, int)]
    plugins = (
        await Plugin.select(Plugin.id, Plugin.param_schema)
        .where(Plugin.id.is_in(ids))
        .output(load_json=True)
        .run()
        if ids
        else []
    )
    capable = {
        r["id"]
        for r in plugins
        if NEEDED <= set((r["param_schema"] or {}).get("x-data-actions", []))
    }
    run = (
        await PipelineRun.select(PipelineRun.id)
        .where(PipelineRun.deployment == dep.id, PipelineRun.action == "deploy")
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    if run is None:
        return {}
    steps = (
        await PipelineStep.select(PipelineStep.node_id, PipelineStep.outputs)
        .where(PipelineStep.run == run["id"], PipelineStep.status == "succeeded")
        .output(load_json=True)
        .run()
    )
    return {
        s["node_id"]: str((s["outputs"] or {}).get("database", s["node_id"]))
        for s in steps
        if wanted.get(s["node_id"]) in capable
    }


async def _checkpoints(deployment_id: int) -> list[CheckpointView]:
    rows = await (
        Checkpoint.select(*Checkpoint.all_columns())
        .where(Checkpoint.deployment == deployment_id)
        .order_by(Checkpoint.created_at)
        .run()
    )
    return [
        CheckpointView(
            id=r["id"],
            step=r["step"],
            name=r["name"],
            created_by=r["created_by_name"] or None,
            created_at=r["created_at"],
            size_bytes=r["size_bytes"],
        )
        for r in rows
    ]


async def databases(actor: Actor, deployment_id: int) -> list[DatabaseView]:
    dep = await get_deployment(actor, deployment_id, Level.READ)
    if dep.status == "deleted":
        return []
    saved = await _checkpoints(dep.id)
    views = []
    for step, database in (await _data_steps(dep)).items():
        own = [c for c in saved if c.step == step]
        used = sum(c.size_bytes for c in own)
        views.append(DatabaseView(step=step, database=database, checkpoints=own, used_bytes=used))
    return views


async def _act(dep: DeploymentView, step: str, action: str, name: str = "") -> p.DataResult:
    if step not in await _data_steps(dep):
        raise NotFound(f"The deployment has no database step {step!r} with checkpoints.")
    if dep.status != "running" or dep.node_id is None:
        hint = " Wake it first." if dep.status == "sleeping" else ""
        raise Conflict(f"The deployment is {dep.status}, not running.{hint}")
    request = p.DataAction(id=0, deployment_id=dep.id, step=step, action=action, checkpoint=name)
    try:
        result = await get_hub().ask(dep.node_id, request)
    except AgentNotFound as error:
        raise Conflict(f"The agent does not know this deployment ({error.detail}).") from None
    if not result.ok:
        raise Conflict(f"{action} of {step} failed: {result.error}")
    return result


def _target(dep: DeploymentView) -> Target:
    return Target(
        type="deployment",
        id=dep.id,
        name=dep.name,
        project_id=dep.project_id,
        environment_id=dep.environment_id,
    )


async def save(
    actor: Actor, deployment_id: int, step: str, data: CheckpointInput
) -> CheckpointView:
    name = data.name.strip()
    async with audited(
        actor, "deployment.checkpoint", Target("deployment", deployment_id)
    ) as audit:
        dep = await get_deployment(actor, deployment_id, Level.FULL)
        audit.target, audit.detail = _target(dep), f"{step}: {name}"
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            raise InvalidInput("A checkpoint's name is 1 to 100 printable characters.", "name")
        taken = await Checkpoint.exists().where(
            Checkpoint.deployment == dep.id, Checkpoint.step == step, Checkpoint.name == name
        )
        if taken:
            raise Conflict(f"{step} already has a checkpoint named {name!r}.", "name")
        result = await _act(dep, step, "checkpoint", name)
        try:
            row = Checkpoint(
                deployment=dep.id,
                step=step,
                name=name,
                created_by=actor.id,
                created_by_name=actor.username,
                size_bytes=int(result.outputs.get("bytes") or 0),
            )
            await row.save().run()
        except asyncpg.UniqueViolationError:  # the same name saved at the same moment
            raise Conflict(f"{step} already has a checkpoint named {name!r}.", "name") from None
    return next(c for c in await _checkpoints(dep.id) if c.name == name and c.step == step)


async def _named(dep: DeploymentView, checkpoint_id: int) -> dict:
    row = await (
        Checkpoint.select()
        .where(Checkpoint.id == checkpoint_id, Checkpoint.deployment == dep.id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such checkpoint of this deployment.")
    return row


async def reset(actor: Actor, deployment_id: int, checkpoint_id: int) -> DataActionView:
    async with audited(actor, "deployment.reset", Target("deployment", deployment_id)) as audit:
        dep = await get_deployment(actor, deployment_id, Level.FULL)
        audit.target = _target(dep)
        row = await _named(dep, checkpoint_id)
        audit.detail = f"{row['step']}: {row['name']}"
        result = await _act(dep, row["step"], "reset", row["name"])
    return DataActionView(
        step=row["step"],
        action="reset",
        checkpoint=row["name"],
        duration_s=result.duration_s,
        stopped=result.stopped,
        log=result.log,
    )


async def delete(actor: Actor, deployment_id: int, checkpoint_id: int) -> None:
    target = Target("deployment", deployment_id)
    async with audited(actor, "deployment.checkpoint_delete", target) as audit:
        dep = await get_deployment(actor, deployment_id, Level.FULL)
        audit.target = _target(dep)
        row = await _named(dep, checkpoint_id)
        audit.detail = f"{row['step']}: {row['name']}"
        await _act(dep, row["step"], "drop_checkpoint", row["name"])
        await Checkpoint.delete().where(Checkpoint.id == row["id"]).run()
