"""From an event to its deliveries: take the events not yet fanned out, find the channels that
listen, render each channel's message and store one delivery per (channel, event) in the
transaction that marks the event done (a crash leaves it for the next run, never half done),
then enqueue them. The fan-out never holds a connection while it waits for another: with
every worker slot dispatching at once, the pool the web pages share must not run dry."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from core import context, db
from core.errors import ShoalError
from core.notifications import facts as facts_module
from core.notifications import outbox
from core.notifications.render import render

log = logging.getLogger("shoal.notifications")

DELIVER_JOB = "deliver_notification"
BATCH = 5
BUDGET_S = 20.0  # one job's share of a burst, well inside its 60 s timeout

LEASE = "2 minutes"
_CLAIM = (
    "UPDATE notification_events SET claimed_at = now() WHERE id IN ("
    " SELECT id FROM notification_events WHERE dispatched_at IS NULL"
    f" AND (claimed_at IS NULL OR claimed_at < now() - interval '{LEASE}')"
    " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING *"
)
_CHANNELS = (
    'SELECT id, kind, environment, project, "user", expiring_minutes FROM notification_channels'
    " WHERE enabled AND events ? $1"
)
_INSERT = (
    "INSERT INTO notification_deliveries (channel, event_key, kind, status, attempts,"
    " last_error, payload, created_at) VALUES ($1, $2, $3, 'pending', 0, '', $4::jsonb, now())"
    " ON CONFLICT (channel, event_key) DO NOTHING RETURNING id"
)


def listens(channel: dict[str, Any], kind: str, routing: dict[str, Any]) -> bool:
    """Whether a channel (already subscribed to `kind`) hears about this event."""
    if routing.get("lead") is not None and channel["expiring_minutes"] != routing["lead"]:
        return False
    if channel["user"] is not None:  # personal: deployments that user created
        return routing.get("user") == channel["user"]
    if channel["environment"] is not None and channel["environment"] != routing["environment"]:
        return False
    return channel["project"] is None or channel["project"] == routing["project"]


async def dispatch() -> int:
    """Fan out waiting events until none is left or this job's share of a burst is spent;
    returns how many deliveries were created. Jobs run side by side: each leases a few events
    at a time, and a lease that a crashed job leaves runs out after LEASE."""
    total = 0
    deadline = time.monotonic() + BUDGET_S
    while time.monotonic() <= deadline:
        events = await db.fetch(_CLAIM, BATCH)
        for event in events:
            created = await _fan_out(dict(event))
            await enqueue(created)
            total += len(created)
        if len(events) < BATCH:
            return total
    await outbox.kick()  # a burst: the next job goes on with it
    return total


async def _fan_out(event: dict[str, Any]) -> list[int]:
    """Render each listening channel's message (no connection held meanwhile), then store the
    deliveries and mark the event done in one transaction: a crash leaves it to do again."""
    from core.piccolo_conf import DB

    event["data"] = json.loads(event["data"]) if isinstance(event["data"], str) else event["data"]
    payloads = []
    try:
        facts, routing = await facts_module.gather(event)
        for channel in await db.fetch(_CHANNELS, event["kind"]):
            if listens(dict(channel), event["kind"], routing):
                payloads.append((channel["id"], json.dumps(render(channel["kind"], facts))))
    except ShoalError as exc:  # the deployment or node is gone: nobody to tell about it
        log.info("event %s not sent: %s", event["key"], exc.detail)
    except Exception:  # one broken event must not hold up the ones after it
        log.exception("event %s could not be fanned out", event["key"])
    ids = []
    async with DB.pool.acquire() as connection, connection.transaction():
        for channel_id, payload in payloads:
            row = await connection.fetchrow(
                _INSERT, channel_id, event["key"], event["kind"], payload
            )
            if row is not None:
                ids.append(row["id"])
        await connection.execute(
            "UPDATE notification_events SET dispatched_at = now() WHERE id = $1", event["id"]
        )
    return ids


async def enqueue(delivery_ids: list[int], scheduled: float = 0, attempt: int = 0) -> None:
    """One delivery job each; the key stops a second job for the same attempt while one is
    queued, and the delivery's own claim stops a second send in any case."""
    try:
        queue = context.queue()
    except RuntimeError:
        return  # no queue in this process: the resume cron sends them
    for delivery_id in delivery_ids:
        await queue.enqueue(
            DELIVER_JOB,
            delivery_id=delivery_id,
            key=f"deliver:{delivery_id}:{attempt}",
            scheduled=int(scheduled or time.time()),
            timeout=60,
        )
