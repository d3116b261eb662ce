"""Put running deployments to sleep once idle for their period (issue 20), once a minute.

Activity comes from two places (core.services.activity): container traffic, recorded from
each node's heartbeats, and requests through the ingress, read here from Caddy's per-host
counters when this Caddy gives them (core.ingress.requests). A deployment idle past its period
(core.domain.idle) is put to sleep through core.services.naps, the one place that sleeps
deployments, audited as the `idle` system actor with the reason.
"""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from core.actor import Actor
from core.domain import idle as rules
from core.errors import ShoalError
from core.ingress.requests import read_host_requests
from core.ingress.source import load_route_table
from core.services import activity, naps
from core.tables import Deployment

log = logging.getLogger("shoal.idle")
ACTOR = Actor.system("idle")

_CANDIDATES = """
SELECT d.id, d.updated_at, d.last_active_at, e.idle_minutes AS env_minutes,
       p.idle_minutes AS project_minutes
FROM deployments d
JOIN environments e ON e.id = d.environment
LEFT JOIN projects p ON p.id = d.project
WHERE d.status = 'running' AND COALESCE(p.idle_minutes, e.idle_minutes, 0) > 0
ORDER BY d.id
"""
_ONE = """
SELECT d.last_active_at, e.idle_minutes AS env_minutes, p.idle_minutes AS project_minutes
FROM deployments d
JOIN environments e ON e.id = d.environment
LEFT JOIN projects p ON p.id = d.project
WHERE d.id = {}
"""


async def sleep_idle(now: datetime, caddy_admin: str) -> dict[str, int]:
    """Record the ingress's request counts, then put every idle running deployment to sleep.
    `caddy_admin` "" (no ingress here) or a Caddy without per-host counts: container traffic
    alone decides."""
    candidates = await Deployment.raw(_CANDIDATES).run()
    if not candidates:
        return {"checked": 0, "slept": 0}
    active = await _record_requests(caddy_admin, now)
    slept = 0
    for row in candidates:
        minutes = rules.idle_minutes(row["env_minutes"], row["project_minutes"])
        last = now if row["id"] in active else row["last_active_at"]
        if not rules.is_idle(now, rules.idle_since(last, row["updated_at"]), minutes):
            continue
        try:
            await naps.sleep(ACTOR, row["id"], reason=reason(minutes))
            slept += 1
        except ShoalError as refused:  # moved meanwhile, or its node is away: next minute
            log.info("idle deployment %s not put to sleep: %s", row["id"], refused.detail)
    return {"checked": len(candidates), "slept": slept}


def reason(minutes: int) -> str:
    return f"idle for {minutes} minute{'' if minutes == 1 else 's'}"


class IdleWatch(msgspec.Struct, frozen=True):
    minutes: int
    last_active_at: datetime | None  # the last traffic seen, None before any


async def watch_of(deployment_id: int) -> IdleWatch | None:
    """The idle period that applies to a deployment and its last traffic; None when off."""
    rows = await Deployment.raw(_ONE, deployment_id).run()
    if not rows:
        return None
    minutes = rules.idle_minutes(rows[0]["env_minutes"], rows[0]["project_minutes"])
    return IdleWatch(minutes, rows[0]["last_active_at"]) if minutes else None


async def _record_requests(caddy_admin: str, now: datetime) -> set[int]:
    counts = await read_host_requests(caddy_admin) if caddy_admin else None
    if not counts:
        return set()
    table = await load_route_table()
    totals: dict[int, int] = {}
    for route in table.routes:
        if route.host in counts:
            totals[route.deployment_id] = totals.get(route.deployment_id, 0) + counts[route.host]
    return set(await activity.record_requests(totals, now))
