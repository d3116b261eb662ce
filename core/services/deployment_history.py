"""What a deployment page shows beside its status: pipeline steps of each run, and history.

Step outputs are shown as stored for read-level users (sensitive values masked, see
core.services.step_outputs); `reveal_outputs` opens the real ones for full access, audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from agent.protocol.redaction import MASK
from core.actor import Actor
from core.errors import Forbidden, NotFound
from core.services import audit, deployments, step_outputs
from core.tables import AuditEvent, PipelineRun, PipelineStep
from core.validation import DNS_LABEL


class StepView(msgspec.Struct, kw_only=True):
    node_id: str
    kind: str
    status: str
    error: str
    log: str
    outputs: dict[str, Any]  # masked where a value holds a secret
    started_at: datetime | None
    finished_at: datetime | None
    hidden: bool = False  # something was masked: full access may reveal the real outputs

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class RunView(msgspec.Struct, kw_only=True):
    id: int
    number: int = 0  # 1, 2, 3… among this deployment's runs (ids count every deployment's)
    action: str
    status: str
    error: str
    started_at: datetime
    finished_at: datetime | None
    steps: list[StepView] = []


async def latest_run(deployment_id: int) -> RunView | None:
    row = (
        await PipelineRun.select()
        .where(PipelineRun.deployment == deployment_id)
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    if row is None:
        return None
    steps = (
        await PipelineStep.select()
        .where(PipelineStep.run == row["id"])
        .order_by(PipelineStep.id)
        .output(load_json=True)
        .run()
    )
    run = msgspec.convert(row, RunView, strict=False)
    run.steps = [_step_view(s) for s in steps]
    earlier = (PipelineRun.deployment == deployment_id) & (PipelineRun.id <= row["id"])
    run.number = await PipelineRun.count().where(earlier).run()
    return run


def _step_view(row: dict[str, Any]) -> StepView:
    view = msgspec.convert(row, StepView, strict=False)
    view.hidden = bool(row.get("sealed_outputs"))
    if row.get("sealed_outputs") == step_outputs.LEGACY:  # in clear until the job sealed it
        view.outputs = {key: MASK for key in view.outputs}
    return view


class RevealedOutputs(msgspec.Struct, kw_only=True):
    node_id: str
    run_id: int
    outputs: dict[str, Any]


async def reveal_outputs(actor: Actor, deployment_id: int, node_id: str) -> RevealedOutputs:
    """The real outputs of a step (its latest run that has any), for full access only. The
    audit entry names the step, never a value; a refused attempt is recorded too."""
    dep = await deployments.get_deployment(actor, deployment_id)
    if not DNS_LABEL.fullmatch(node_id):  # node ids are DNS labels; nothing else reaches the audit
        raise NotFound("No such step.")
    target = audit.Target(
        "deployment",
        dep.id,
        dep.name,
        project_id=dep.project_id,
        environment_id=dep.environment_id,
    )
    async with audit.audited(actor, "deployment.reveal_outputs", target) as record:
        record.detail = f"step {node_id}"
        if dep.level != "full":
            raise Forbidden("Revealing step outputs needs full access to the deployment.")
        rows = await (
            PipelineStep.select(PipelineStep.run, PipelineStep.outputs, PipelineStep.sealed_outputs)
            .where(
                (PipelineStep.run.deployment == deployment_id) & (PipelineStep.node_id == node_id)
            )
            .order_by(PipelineStep.id, ascending=False)
            .output(load_json=True)
            .run()
        )
        row = next((r for r in rows if r["sealed_outputs"] or r["outputs"]), None)
        if row is None:
            raise NotFound(f"Step '{node_id}' of this deployment has no outputs.")
        outputs = step_outputs.real_outputs(
            row["run"], node_id, row["outputs"] or {}, row["sealed_outputs"]
        )
    return RevealedOutputs(node_id=node_id, run_id=row["run"], outputs=outputs)


async def history(deployment_id: int, limit: int = 50) -> list[audit.AuditRow]:
    rows = (
        await AuditEvent.select()
        .where((AuditEvent.target_type == "deployment") & (AuditEvent.target_id == deployment_id))
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
        .run()
    )
    return [msgspec.convert(r, audit.AuditRow, strict=False) for r in rows]
