"""What a deployment page shows beside its status: pipeline steps of each run, and history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from core.services import audit
from core.tables import AuditEvent, PipelineRun, PipelineStep


class StepView(msgspec.Struct, kw_only=True):
    node_id: str
    kind: str
    status: str
    error: str
    log: str
    outputs: dict[str, Any]
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class RunView(msgspec.Struct, kw_only=True):
    id: int
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
    run.steps = [msgspec.convert(s, StepView, strict=False) for s in steps]
    return run


async def history(deployment_id: int, limit: int = 50) -> list[audit.AuditRow]:
    rows = (
        await AuditEvent.select()
        .where((AuditEvent.target_type == "deployment") & (AuditEvent.target_id == deployment_id))
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
        .run()
    )
    return [msgspec.convert(r, audit.AuditRow, strict=False) for r in rows]
