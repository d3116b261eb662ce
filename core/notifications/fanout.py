"""From an event to its deliveries: take the events not yet fanned out, find the channels that
listen, render each channel's message and store one delivery per (channel, event) in the
transaction that marks the event done (a crash leaves it for the next run, never half done),
then wake the sender. The fan-out never holds a connection while it waits for another: with
every worker slot dispatching at once, the pool the web pages share must not run dry."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from core import db
from core.errors import ShoalError
from core.notifications import facts as facts_module
from core.notifications import outbox, views, wakeup
from core.notifications.render import render

log = logging.getLogger("shoal.notifications")

BATCH = 20  # events fanned out, and their deliveries stored, together
BUDGET_S = 20.0  # one job's share of a burst, well inside its 60 s timeout
# Events of a batch whose facts are gathered at once: each waits mostly on the database, and
# with outbox.SLOTS jobs side by side this keeps to a few of the pool's connections.
SIDE_BY_SIDE = 2

LEASE = "2 minutes"
_CLAIM = (
    "UPDATE notification_events SET claimed_at = now() WHERE id IN ("
    " SELECT id FROM notification_events WHERE dispatched_at IS NULL"
    f" AND (claimed_at IS NULL OR claimed_at < now() - interval '{LEASE}')"
    " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING *"
)
_CHANNELS = (
    'SELECT id, kind, environment, project, "user", expiring_minutes, events'
    " FROM notification_channels WHERE enabled AND events ?| $1::text[]"
)
_INSERT = (
    "INSERT INTO notification_deliveries (channel, event_key, kind, status, attempts,"
    " last_error, payload, created_at) SELECT channel, key, kind, 'pending', 0, '', payload, now()"
    " FROM unnest($1::int[], $2::varchar[], $3::varchar[], $4::jsonb[]) WITH ORDINALITY"
    " AS d(channel, key, kind, payload, n) ORDER BY n"  # ids in the events' order
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
        if events:
            created = await _fan_out([dict(event) for event in events])
            if created:
                await wakeup.kick()  # in a burst, a poke of the drain already sending
            total += len(created)
        if len(events) < BATCH:
            return total
    await outbox.kick()  # a burst: the next job goes on with it
    return total


async def _fan_out(events: list[dict[str, Any]]) -> list[int]:
    """Render each listening channel's message for each event (no connection held meanwhile),
    then store the deliveries and mark the events done in one transaction: a crash leaves
    them to do again, never half done."""
    from core.piccolo_conf import DB

    kinds = sorted({event["kind"] for event in events})
    channels = [dict(row) for row in await db.fetch(_CHANNELS, kinds)]
    for channel in channels:
        channel["events"] = json.loads(channel["events"])
    gate = asyncio.Semaphore(SIDE_BY_SIDE)
    try:
        preloaded = await views.load(e["deployment_id"] for e in events if e["deployment_id"])
    except Exception:  # each event is then read on its own, and one broken one skipped
        log.exception("the deployments of %s events could not be read together", len(events))
        preloaded = {}

    async def messages(event: dict[str, Any]) -> list[tuple[int, str, str, str]]:
        async with gate:
            return await _messages(event, channels, preloaded.get(event["deployment_id"]))

    found = await asyncio.gather(*(messages(event) for event in events))
    rows = [row for event_rows in found for row in event_rows]  # in the events' order
    columns = [[row[index] for row in rows] for index in range(4)]
    async with DB.pool.acquire() as connection, connection.transaction():
        created = await connection.fetch(_INSERT, *columns) if rows else []
        await connection.execute(
            "UPDATE notification_events SET dispatched_at = now() WHERE id = ANY($1::int[])",
            [event["id"] for event in events],
        )
    return [row["id"] for row in created]


async def _messages(
    event: dict[str, Any], channels: list[dict[str, Any]], preloaded: Any
) -> list[tuple[int, str, str, str]]:
    """(channel, event key, kind, payload) for each channel that hears this event."""
    event["data"] = json.loads(event["data"]) if isinstance(event["data"], str) else event["data"]
    try:
        facts, routing = await facts_module.gather(event, preloaded)
        return [
            (channel["id"], event["key"], event["kind"], json.dumps(render(channel["kind"], facts)))
            for channel in channels
            if event["kind"] in channel["events"] and listens(channel, event["kind"], routing)
        ]
    except ShoalError as exc:  # the deployment or node is gone: nobody to tell about it
        log.info("event %s not sent: %s", event["key"], exc.detail)
    except Exception:  # one broken event must not hold up the ones after it
        log.exception("event %s could not be fanned out", event["key"])
    return []
