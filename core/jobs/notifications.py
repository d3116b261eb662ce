"""SAQ tasks of notifications: fan events out, drain the due deliveries, and the minutely
catch-up (events and deliveries whose job was lost to a restart). Never rename them:
`deliver_notification` (one delivery per job) stays for jobs queued before the drain."""

from __future__ import annotations

from core.notifications import delivery, fanout, outbox, sender


async def dispatch_notifications(ctx: dict) -> dict:
    return {"deliveries": await fanout.dispatch()}


async def send_notifications(ctx: dict) -> dict:
    return {"attempted": await sender.drain()}


async def deliver_notification(ctx: dict, *, delivery_id: int) -> dict:
    return {"status": await delivery.deliver(delivery_id)}


async def resume_notifications(ctx: dict) -> dict:
    # Only kicks the fan-out: a burst takes longer than a cron job's timeout.
    await outbox.kick()
    return {"resumed": await delivery.resume()}
