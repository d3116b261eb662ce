"""Deliver deliveries: claim them (so each is sent once however many drains ask), send each
with its channel's config, and record the outcomes: delivered; retrying at the next backoff
step (5xx, timeouts, refused connections, for a day); or failed with the reason (4xx, a
refused login). A drain claims many at a time (sender.py); `deliver` does one by id."""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import httpx
import msgspec

from core import db
from core.domain.notifications import next_attempt, sign
from core.notifications import config as channel_config
from core.notifications import send, wakeup
from core.tables import NotificationChannel

log = logging.getLogger("shoal.notifications")

_CLAIMED = "id, channel, event_key, kind, payload, attempts, created_at"
# Due: SAQ wakes a retry in whole seconds, so one due within 2 s counts as due now.
_DUE = (
    "status IN ('pending', 'retrying')"
    " AND coalesce(next_attempt_at, created_at) <= now() + interval '2 seconds'"
)
_CLAIM = (
    "UPDATE notification_deliveries SET status = 'sending', attempts = attempts + 1,"
    f" claimed_at = now() WHERE id = $1 AND {_DUE} RETURNING {_CLAIMED}"
)
# The oldest due ones, at most $4 per channel less what this drain already sends to it ($2, $3):
# a channel that hangs holds only its own share. The candidates are read without a lock and
# the UPDATE checks the status again, so two drains never claim the same row.
_CLAIM_DUE = (
    "WITH picked AS (SELECT id FROM (SELECT id, channel,"
    " row_number() OVER (PARTITION BY channel ORDER BY id) AS n"
    f" FROM notification_deliveries WHERE {_DUE}) due"
    " LEFT JOIN unnest($2::int[], $3::int[]) AS busy(channel, used) USING (channel)"
    " WHERE n <= $4 - coalesce(used, 0) ORDER BY id LIMIT $1)"
    " UPDATE notification_deliveries d SET status = 'sending', attempts = d.attempts + 1,"
    " claimed_at = now() FROM picked WHERE d.id = picked.id"
    " AND d.status IN ('pending', 'retrying')"
    " AND coalesce(d.next_attempt_at, d.created_at) <= now() + interval '2 seconds'"
    " RETURNING d.id, d.channel, d.event_key, d.kind, d.payload, d.attempts, d.created_at"
)
_RECORD = (
    "UPDATE notification_deliveries d SET status = r.status, last_error = r.error,"
    " next_attempt_at = r.next_at,"
    " delivered_at = CASE WHEN r.status = 'delivered' THEN now() END"
    " FROM unnest($1::int[], $2::varchar[], $3::text[], $4::timestamptz[])"
    " AS r(id, status, error, next_at) WHERE d.id = r.id"
)
STUCK_AFTER = datetime.timedelta(minutes=2)


class Result(msgspec.Struct, frozen=True):
    id: int
    status: str  # delivered, retrying or failed
    error: str = ""
    next_attempt_at: datetime.datetime | None = None


async def deliver(delivery_id: int) -> str:
    """Returns the delivery's new status ("skipped" when it is not due or not ours)."""
    rows = await db.fetch(_CLAIM, delivery_id)
    if not rows:
        return "skipped"
    claimed = dict(rows[0])
    channels = await channels_of([claimed["channel"]])
    result = await attempt(claimed, channels.get(claimed["channel"]))
    await record([result])
    return result.status


async def claim_due(limit: int, busy: dict[int, int], per_channel: int) -> list[dict[str, Any]]:
    """Claim up to `limit` due deliveries; `busy` counts those already being sent, by channel."""
    rows = await db.fetch(_CLAIM_DUE, limit, list(busy), list(busy.values()), per_channel)
    return sorted((dict(row) for row in rows), key=lambda row: row["id"])


async def channels_of(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = await NotificationChannel.select().where(NotificationChannel.id.is_in(list(ids))).run()
    return {row["id"]: row for row in rows}


async def attempt(
    claimed: dict[str, Any],
    channel: dict[str, Any] | None,
    client: httpx.AsyncClient | None = None,
) -> Result:
    """Send one claimed delivery; the outcome is recorded by the caller (`record`)."""
    if channel is None or not channel["enabled"]:
        return Result(claimed["id"], "failed", "the channel is disabled")
    payload = claimed["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    try:
        config = channel_config.open_config(channel)
        outcome = await _send(channel["kind"], config, payload, claimed, client)
    except Exception as exc:  # a broken config must end in the log, not in a stuck row
        log.exception("delivery %s could not be sent", claimed["id"])
        outcome = send.Outcome(False, error=f"cannot send: {exc}")
    return _result(claimed, outcome)


async def _send(
    kind: str,
    config: dict[str, Any],
    payload: dict[str, Any],
    claimed: dict[str, Any],
    client: httpx.AsyncClient | None,
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
            "X-Shoal-Delivery": str(claimed["id"]),
        }
    return await send.post(config["url"], body, headers, client=client)


def _result(claimed: dict[str, Any], outcome: send.Outcome) -> Result:
    if outcome.delivered:
        return Result(claimed["id"], "delivered")
    now = datetime.datetime.now(datetime.UTC)
    when = next_attempt(claimed["attempts"], claimed["created_at"], now) if outcome.retry else None
    if when is None:
        reason = outcome.error if not outcome.retry else f"gave up after a day: {outcome.error}"
        return Result(claimed["id"], "failed", reason[:2000])
    return Result(claimed["id"], "retrying", outcome.error[:2000], when)


async def record(results: list[Result]) -> None:
    """Store the outcomes in one statement, and wake a drain when each retry falls due."""
    if not results:
        return
    await db.fetch(
        _RECORD,
        [r.id for r in results],
        [r.status for r in results],
        [r.error for r in results],
        [r.next_attempt_at for r in results],
    )
    for when in sorted({r.next_attempt_at for r in results if r.next_attempt_at is not None}):
        await wakeup.at(when)


async def resume(now: datetime.datetime | None = None) -> int:
    """The cron's catch-up: deliveries a crashed worker left `sending` go back to `retrying`
    (they may then arrive twice: receivers can tell by X-Shoal-Event-Id), and a drain is
    woken when any is due (its wake-up may have been lost to a restart). Returns how many
    are due."""
    now = now or datetime.datetime.now(datetime.UTC)
    await db.fetch(
        "UPDATE notification_deliveries SET status = 'retrying', next_attempt_at = $1"
        " WHERE status = 'sending' AND claimed_at < $2",
        now,
        now - STUCK_AFTER,
    )
    rows = await db.fetch(f"SELECT count(*) AS due FROM notification_deliveries WHERE {_DUE}")
    if rows[0]["due"]:
        await wakeup.kick()
    return rows[0]["due"]
