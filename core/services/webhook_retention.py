"""How long received webhook deliveries are kept: the Previews tab lists the newest few and
"redeliver" needs a recent one's body, so older ones only fill the table (each keeps its
payload, up to 1 MiB). Purged by the housekeeping cron; docs/previews.md says the limits.
"""

from __future__ import annotations

from core.tables.previews import WebhookDelivery

KEEP_DAYS = 30  # past this a forge no longer redelivers, and no one redelivers by hand
KEEP_PER_RULE = 500  # a busy repository's newest: far more than the tab shows

# One statement: a row goes when it is old, or when its rule (or no rule) has KEEP_PER_RULE
# newer ones. A purged delivery id could be worked again if a forge sent it again, which no
# forge does after the retention period.
_PURGE = """
DELETE FROM webhook_deliveries WHERE id IN (
    SELECT id FROM (
        SELECT id, received_at,
               row_number() OVER (PARTITION BY rule ORDER BY id DESC) AS newer
        FROM webhook_deliveries
    ) ranked
    WHERE received_at < now() - make_interval(days => {}) OR newer > {}
)
RETURNING id
"""


async def purge_old(keep_days: int = KEEP_DAYS, keep_per_rule: int = KEEP_PER_RULE) -> int:
    """Delete the deliveries past the retention; returns how many went."""
    rows = await WebhookDelivery.raw(_PURGE, keep_days, keep_per_rule).run()
    return len(rows)
