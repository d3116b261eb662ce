"""Record and read the audit log. Every change made by a person goes through `record`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import msgspec

from core.actor import Actor
from core.errors import UNSTORABLE, InvalidInput, ShoalError
from core.fields import INT32_MAX
from core.tables import AuditEvent


class Target(msgspec.Struct, frozen=True):
    type: str
    id: int | None = None
    name: str = ""
    project_id: int | None = None
    environment_id: int | None = None


# A refused attempt is recorded with what was sent, and what was sent may be what got it
# refused: a NUL PostgreSQL cannot store, or an id beyond its `integer` columns.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))}


def _storable(text: str, limit: int) -> str:
    return text.translate(_CONTROL)[:limit]


def _row_id(value: int | None) -> int | None:
    return value if value is not None and 0 < value <= INT32_MAX else None


async def record(
    actor: Actor, action: str, target: Target, outcome: str = "ok", detail: str = ""
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            actor=actor.id,
            actor_name=actor.username,
            action=action,
            target_type=_storable(target.type, 32),
            target_id=_row_id(target.id),
            target_name=_storable(target.name, 256),
            outcome=outcome,
            detail=_storable(detail, 2000),
            project_id=_row_id(target.project_id),
            environment_id=_row_id(target.environment_id),
        )
    )


class Audited:
    """Lets the body name the target once it knows it (e.g. the id of what it created)."""

    def __init__(self, action: str, target: Target) -> None:
        self.action = action  # the body may name it more precisely (delete → cancel)
        self.target = target
        self.detail = ""


@contextlib.asynccontextmanager
async def audited(actor: Actor, action: str, target: Target) -> AsyncIterator[Audited]:
    """Record `action` with outcome ok, or with the error's text when a ShoalError escapes."""
    box = Audited(action, target)
    try:
        yield box
    except ShoalError as exc:
        await record(actor, box.action, box.target, outcome="refused", detail=exc.detail)
        raise
    except asyncpg.DataError as exc:  # a value the database cannot store, e.g. NUL in text
        refusal = InvalidInput(UNSTORABLE)
        await record(actor, box.action, box.target, outcome="refused", detail=refusal.detail)
        raise refusal from exc
    await record(actor, box.action, box.target, detail=box.detail)


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
