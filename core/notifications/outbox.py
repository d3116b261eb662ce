"""The outbox: an event is a row, written where it happens, so none is lost when a process
stops before the fan-out job ran (a cron picks up whatever is left). Its key makes it happen
once: a deployment re-reported `running` is one `ready` per pipeline run; an expiry warning
is one per expiry time and lead time."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any
from uuid import uuid4

from core import db, runtime
from core.tables import PipelineRun

log = logging.getLogger("shoal.notifications")

DISPATCH_JOB = "dispatch_notifications"
SLOTS = 4  # fan-out jobs side by side in a burst


async def record(
    kind: str,
    key: str,
    *,
    deployment_id: int | None = None,
    node_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Store the event (False when one with this key exists) and ask for its fan-out."""
    rows = await db.fetch(
        "INSERT INTO notification_events (key, kind, deployment_id, node_id, data, at) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, now()) ON CONFLICT (key) DO NOTHING RETURNING id",
        key[:200],
        kind,
        deployment_id,
        node_id,
        json.dumps(data or {}),
    )
    if rows:
        await kick(rows[0]["id"])
    return bool(rows)


async def record_deployment(kind: str, deployment_id: int) -> bool:
    """A lifecycle event (ready, failed, deleted) of one deployment."""
    run = await (
        PipelineRun.select(PipelineRun.id)
        .where(PipelineRun.deployment == deployment_id)
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    once = "" if kind == "deleted" else f":{run['id'] if run else 0}"
    return await record(kind, f"{kind}:{deployment_id}{once}", deployment_id=deployment_id)


async def node_went_offline(node_id: int, was_online: bool, error: str = "") -> bool:
    """Once per outage: only a node that was online goes offline (a reconnect loop that keeps
    failing, or a new node that never connected, says nothing)."""
    if not was_online:
        return False
    since = datetime.datetime.now(datetime.UTC).isoformat()
    key = f"node_offline:{node_id}:{since}"
    return await record("node_offline", key, node_id=node_id, data={"error": error})


async def node_came_back(node_id: int) -> bool:
    """Once per reported outage: the latest node event was its going offline."""
    rows = await db.fetch(
        "SELECT id, kind FROM notification_events WHERE node_id = $1"
        " AND kind IN ('node_offline', 'node_online') ORDER BY id DESC LIMIT 1",
        node_id,
    )
    if not rows or rows[0]["kind"] != "node_offline":
        return False
    return await record("node_online", f"node_online:{node_id}:{rows[0]['id']}", node_id=node_id)


async def kick(slot: int | None = None) -> None:
    """Enqueue the fan-out now; without a queue in this process the cron catches up. A burst
    enqueues at most SLOTS jobs at a time (one key per slot: a key already queued or running
    is not enqueued twice); `slot=None` always enqueues one more. An event recorded in the
    moment its slot's job finishes waits for the minutely catch-up: later, never lost."""
    try:
        queue = runtime.queue()
    except RuntimeError:
        return
    key = f"{DISPATCH_JOB}:{slot % SLOTS}" if slot is not None else f"{DISPATCH_JOB}:{uuid4()}"
    try:
        await queue.enqueue(DISPATCH_JOB, key=key, timeout=60)
    except Exception:  # the cron catches up; an event is never lost, only later
        log.exception("could not enqueue the notification fan-out")
