"""Deliver one delivery: claim it (so it is sent once however many jobs ask), send it with the
channel's config, and record the outcome: delivered; retrying at the next backoff step (5xx,
timeouts, refused connections, for a day); or failed with the reason (4xx, a refused login)."""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import Any

from core import db
from core.domain.notifications import next_attempt, sign
from core.notifications import config as channel_config
from core.notifications import fanout, send
from core.tables import NotificationChannel

log = logging.getLogger("shoal.notifications")

_CLAIM = (
    "UPDATE notification_deliveries SET status = 'sending', attempts = attempts + 1,"
    " claimed_at = now() WHERE id = $1 AND status IN ('pending', 'retrying')"
    " AND (next_attempt_at IS NULL OR next_attempt_at <= now() + interval '2 seconds')"
    " RETURNING channel, event_key, kind, payload, attempts, created_at"
)
_DONE = (
    "UPDATE notification_deliveries SET status = $2::varchar, last_error = $3,"
    " next_attempt_at = $4, delivered_at = CASE WHEN $2::varchar = 'delivered' THEN now() END"
    " WHERE id = $1"
)
STUCK_AFTER = datetime.timedelta(minutes=2)
OVERDUE = datetime.timedelta(minutes=2)


async def deliver(delivery_id: int) -> str:
    """Returns the delivery's new status ("skipped" when it is not due or not ours)."""
    rows = await db.fetch(_CLAIM, delivery_id)
    if not rows:
        return "skipped"
    claimed = dict(rows[0])
    payload = json.loads(claimed["payload"])
    channel = await (
        NotificationChannel.select()
        .where(NotificationChannel.id == claimed["channel"])
        .first()
        .run()
    )
    if channel is None or not channel["enabled"]:
        await db.fetch(_DONE, delivery_id, "failed", "the channel is disabled", None)
        return "failed"
    try:
        config = channel_config.open_config(channel)
        outcome = await _send(channel["kind"], config, payload, claimed, delivery_id)
    except Exception as exc:  # a broken config must end in the log, not in a stuck row
        log.exception("delivery %s could not be sent", delivery_id)
        outcome = send.Outcome(False, error=f"cannot send: {exc}")
    return await _record(delivery_id, claimed, outcome)


async def _send(
    kind: str, config: dict[str, Any], payload: dict[str, Any], claimed: dict, delivery_id: int
) -> send.Outcome:
    if kind == "email":
        return await send.smtp(config, payload)
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {}
    if kind == "webhook":
        headers = {
            "X-Shoal-Signature": sign(config["secret"], body, int(time.time())),
            "X-Shoal-Event": claimed["kind"],
            "X-Shoal-Event-Id": claimed["event_key"],
            "X-Shoal-Delivery": str(delivery_id),
        }
    return await send.post(config["url"], body, headers)


async def _record(delivery_id: int, claimed: dict, outcome: send.Outcome) -> str:
    if outcome.delivered:
        await db.fetch(_DONE, delivery_id, "delivered", "", None)
        return "delivered"
    now = datetime.datetime.now(datetime.UTC)
    when = next_attempt(claimed["attempts"], claimed["created_at"], now) if outcome.retry else None
    if when is None:
        reason = outcome.error if not outcome.retry else f"gave up after a day: {outcome.error}"
        await db.fetch(_DONE, delivery_id, "failed", reason[:2000], None)
        return "failed"
    await db.fetch(_DONE, delivery_id, "retrying", outcome.error[:2000], when)
    await fanout.enqueue([delivery_id], scheduled=when.timestamp(), attempt=claimed["attempts"])
    return "retrying"


async def resume(now: datetime.datetime | None = None) -> int:
    """The cron's catch-up: deliveries a crashed worker left `sending` go back to `retrying`
    (they may then arrive twice: receivers can tell by X-Shoal-Event-Id), and every due one
    whose job was lost gets a job again. Returns how many were enqueued."""
    now = now or datetime.datetime.now(datetime.UTC)
    await db.fetch(
        "UPDATE notification_deliveries SET status = 'retrying', next_attempt_at = $1"
        " WHERE status = 'sending' AND claimed_at < $2",
        now,
        now - STUCK_AFTER,
    )
    # Due for a while: a burst's deliveries are due at once and their jobs are still queued.
    rows = await db.fetch(
        "SELECT id, attempts FROM notification_deliveries WHERE status IN ('pending', 'retrying')"
        " AND coalesce(next_attempt_at, created_at) <= $1 ORDER BY id LIMIT 100",
        now - OVERDUE,
    )
    for row in rows:
        await fanout.enqueue([row["id"]], attempt=row["attempts"])
    return len(rows)
