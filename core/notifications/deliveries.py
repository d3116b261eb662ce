"""A channel's delivery log (status, attempts, last error, the payload as sent: it never holds a
secret) and the "send test" action, which goes through the same queue as real events."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import msgspec

from core import db
from core.actor import Actor
from core.domain.notifications import KINDS
from core.notifications import channels, wakeup
from core.notifications.facts import Facts
from core.notifications.render import render
from core.services.audit import Target, audited
from core.tables import NotificationDelivery

LOG_SIZE = 50


class DeliveryView(msgspec.Struct, kw_only=True):
    id: int
    event_id: str
    kind: str
    status: str
    attempts: int
    last_error: str
    payload: dict[str, Any]
    created_at: datetime.datetime
    next_attempt_at: datetime.datetime | None
    delivered_at: datetime.datetime | None


def to_view(row: dict[str, Any]) -> DeliveryView:
    payload = row["payload"]
    return DeliveryView(
        id=row["id"],
        event_id=row["event_key"],
        kind=row["kind"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        payload=json.loads(payload) if isinstance(payload, str) else payload,
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        delivered_at=row["delivered_at"],
    )


async def list_deliveries(actor: Actor, channel_id: int) -> list[DeliveryView]:
    """The newest deliveries of a channel, newest first."""
    await channels.get_channel(actor, channel_id)
    rows = await (
        NotificationDelivery.select()
        .where(NotificationDelivery.channel == channel_id)
        .order_by(NotificationDelivery.id, ascending=False)
        .limit(LOG_SIZE)
        .run()
    )
    return [to_view(row) for row in rows]


def sample_facts(channel_name: str, link: str) -> Facts:
    return Facts(
        event_id=f"test:{uuid.uuid4().hex}",
        kind="test",
        title=KINDS["test"].title,
        at=datetime.datetime.now(datetime.UTC).isoformat(),
        who=channel_name,
        link=link,
    )


async def send_test(actor: Actor, channel_id: int, public_url: str) -> DeliveryView:
    target = Target("notification_channel", channel_id)
    async with audited(actor, "notification_channel.test", target) as audit:
        view = await channels.get_channel(actor, channel_id)
        audit.target = Target("notification_channel", channel_id, view.name)
        facts = sample_facts(view.name, f"{public_url}/notifications/{channel_id}")
        rows = await db.fetch(
            "INSERT INTO notification_deliveries (channel, event_key, kind, status, attempts,"
            " last_error, payload, created_at) VALUES ($1, $2, 'test', 'pending', 0, '',"
            " $3::jsonb, now()) RETURNING *",
            channel_id,
            facts.event_id,
            json.dumps(render(view.kind, facts)),
        )
    await wakeup.kick()
    return to_view(dict(rows[0]))
