"""SAQ tasks of notifications: fan events out, deliver one delivery, and the minutely catch-up
(events and deliveries whose job was lost to a restart). Never rename them."""

from __future__ import annotations

from core.notifications import delivery, fanout, outbox


async def dispatch_notifications(ctx: dict) -> dict:
    return {"deliveries": await fanout.dispatch()}


async def deliver_notification(ctx: dict, *, delivery_id: int) -> dict:
    return {"status": await delivery.deliver(delivery_id)}


async def resume_notifications(ctx: dict) -> dict:
    # Only kicks the fan-out: a burst takes longer than a cron job's timeout.
    await outbox.kick()
    return {"resumed": await delivery.resume()}
