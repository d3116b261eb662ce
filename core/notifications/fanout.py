"""From an event to its deliveries: claim events not yet fanned out, find the channels that
listen, render each channel's message and store one delivery per (channel, event), all in one
transaction (a crash leaves the event for the next run, never half done), then enqueue them."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from core import context
from core.errors import ShoalError
from core.notifications import facts as facts_module
from core.notifications.render import render

log = logging.getLogger("shoal.notifications")

DELIVER_JOB = "deliver_notification"
BATCH = 100

_CLAIM = (
    "UPDATE notification_events SET dispatched_at = now() WHERE id IN ("
    " SELECT id FROM notification_events WHERE dispatched_at IS NULL"
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
    """Fan out every waiting event; returns how many deliveries were created."""
    from core.piccolo_conf import DB

    total = 0
    while True:
        created: list[int] = []
        async with DB.pool.acquire() as connection, connection.transaction():
            events = await connection.fetch(_CLAIM, BATCH)
            for event in events:
                created += await _fan_out(connection, dict(event))
        await enqueue(created)
        total += len(created)
        if len(events) < BATCH:
            return total


async def _fan_out(connection: Any, event: dict[str, Any]) -> list[int]:
    event["data"] = json.loads(event["data"]) if isinstance(event["data"], str) else event["data"]
    try:
        facts, routing = await facts_module.gather(event)
    except ShoalError as exc:  # the deployment or node is gone: nobody to tell about it
        log.info("event %s not sent: %s", event["key"], exc.detail)
        return []
    ids = []
    for channel in await connection.fetch(_CHANNELS, event["kind"]):
        if not listens(dict(channel), event["kind"], routing):
            continue
        payload = json.dumps(render(channel["kind"], facts))
        row = await connection.fetchrow(
            _INSERT, channel["id"], event["key"], event["kind"], payload
        )
        if row is not None:
            ids.append(row["id"])
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
