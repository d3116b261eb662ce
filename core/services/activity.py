"""What was last seen of each deployment's traffic (issue 20), for idle detection.

Two counters per deployment, each stored as last seen: the bytes its containers sent and
received (from its node's heartbeats) and the requests Caddy served for its hosts (read by the
idle job). Whenever one differs from what was stored (a reset after a restart too, and the
first value ever seen), the deployment was active: `last_active_at` is set to the time of the
observation (never moved back: a heartbeat may arrive after a later observation). Only
changed rows are written.
"""

from __future__ import annotations

from datetime import datetime

from core.tables import Deployment

_NET = """
UPDATE deployments AS d
SET net_bytes = v.total, last_active_at = GREATEST(d.last_active_at, {})
FROM unnest({}::int[], {}::bigint[]) AS v(id, total)
WHERE d.id = v.id AND d.node = {} AND d.net_bytes IS DISTINCT FROM v.total
RETURNING d.id
"""
_REQUESTS = """
UPDATE deployments AS d
SET ingress_requests = v.total, last_active_at = GREATEST(d.last_active_at, {})
FROM unnest({}::int[], {}::bigint[]) AS v(id, total)
WHERE d.id = v.id AND d.ingress_requests IS DISTINCT FROM v.total
RETURNING d.id
"""


async def record_net_bytes(node_id: int, totals: dict[int, int], now: datetime) -> list[int]:
    """Container byte counts of one node's deployments; the ids that were active."""
    return await _record(_NET, totals, now, node_id)


async def record_requests(totals: dict[int, int], now: datetime) -> list[int]:
    """Ingress request counts per deployment; the ids that were active."""
    return await _record(_REQUESTS, totals, now)


async def _record(query: str, totals: dict[int, int], now: datetime, *extra: int) -> list[int]:
    if not totals:
        return []
    ids = list(totals)
    rows = await Deployment.raw(query, now, ids, [totals[i] for i in ids], *extra).run()
    return [row["id"] for row in rows]
