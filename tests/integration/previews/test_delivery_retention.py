"""Webhook deliveries do not pile up: the housekeeping job drops those older than the
retention and, per rule, all but the newest ones; recent ones (the Previews tab's list and
"redeliver") stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.jobs import CRON_JOBS, housekeeping
from core.services import webhook_retention
from core.tables.previews import WebhookDelivery
from shoaltest.db import insert_row


async def _delivery(rule_id: int | None, name: str, age_days: float) -> int:
    return await insert_row(
        WebhookDelivery(
            source="github",
            delivery_id=name,
            event="pull_request",
            rule=rule_id,
            payload="{}",
            payload_size=2,
            outcome="received",
            received_at=datetime.now(UTC) - timedelta(days=age_days),
        )
    )


async def _names() -> set[str]:
    return {row["delivery_id"] for row in await WebhookDelivery.select().run()}


async def test_old_deliveries_are_purged_by_the_housekeeping_job(pworld):
    await _delivery(pworld.rule_id, "old", webhook_retention.KEEP_DAYS + 1)
    await _delivery(None, "old-of-a-deleted-rule", webhook_retention.KEEP_DAYS + 2)
    await _delivery(pworld.rule_id, "recent", webhook_retention.KEEP_DAYS - 1)
    await _delivery(pworld.rule_id, "new", 0)
    assert await housekeeping.purge_webhook_deliveries({}) == {"purged": 2}
    assert await _names() == {"recent", "new"}
    assert any(job.function is housekeeping.purge_webhook_deliveries for job in CRON_JOBS)


async def test_each_rule_keeps_only_its_newest_deliveries(pworld):
    for n in range(5):
        await _delivery(pworld.rule_id, f"d-{n}", 0)
    await _delivery(None, "orphan", 0)
    assert await webhook_retention.purge_old(keep_per_rule=2) == 3
    assert await _names() == {"d-3", "d-4", "orphan"}
    assert await webhook_retention.purge_old(keep_per_rule=2) == 0
