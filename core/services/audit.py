"""Record and read the audit log. Every change made by a person goes through `record`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import msgspec

from core.actor import Actor
from core.errors import ShoalError
from core.tables import AuditEvent


class Target(msgspec.Struct, frozen=True):
    type: str
    id: int | None = None
    name: str = ""
    project_id: int | None = None
    environment_id: int | None = None


async def record(
    actor: Actor, action: str, target: Target, outcome: str = "ok", detail: str = ""
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            actor=actor.id,
            actor_name=actor.username,
            action=action,
            target_type=target.type,
            target_id=target.id,
            target_name=target.name[:256],
            outcome=outcome,
            detail=detail[:2000],
            project_id=target.project_id,
            environment_id=target.environment_id,
        )
    )


class _Audited:
    """Lets the body name the target once it knows it (e.g. the id of what it created)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.detail = ""


@contextlib.asynccontextmanager
async def audited(actor: Actor, action: str, target: Target) -> AsyncIterator[_Audited]:
    """Record `action` with outcome ok, or with the error's text when a ShoalError escapes."""
    box = _Audited(target)
    try:
        yield box
    except ShoalError as exc:
        await record(actor, action, box.target, outcome="refused", detail=exc.detail)
        raise
    await record(actor, action, box.target, detail=box.detail)


class AuditRow(msgspec.Struct):
    id: int
    at: datetime
    actor_name: str
    action: str
    target_type: str
    target_id: int | None
    target_name: str
    outcome: str
    detail: str


async def list_events(
    *,
    limit: int = 100,
    before_id: int | None = None,
    project_ids: set[int] | None = None,
    environment_ids: set[int] | None = None,
    target_type: str | None = None,
) -> list[AuditRow]:
    """Newest first. `project_ids`/`environment_ids` = None means no visibility filter (admin)."""
    query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if target_type:
        query = query.where(AuditEvent.target_type == target_type)
    if project_ids is not None or environment_ids is not None:
        visible = AuditEvent.id < 0  # nothing, then widen
        if project_ids:
            visible = visible | AuditEvent.project_id.is_in(list(project_ids))
        if environment_ids:
            visible = visible | AuditEvent.environment_id.is_in(list(environment_ids))
        query = query.where(visible)
    rows = await query.run()
    return [msgspec.convert(row, AuditRow, from_attributes=False, strict=False) for row in rows]
