"""Per-service usage from heartbeats → service_samples, an hour's worth, for the deployment
page's charts. Written at the node samples' pace (core.hub.events decides when) and trimmed
once a minute for every deployment at once, so a thousand nodes cost no thousand deletes."""

from __future__ import annotations

import datetime

from agent import protocol as p
from core.tables import Deployment, ServiceSample

WINDOW = datetime.timedelta(hours=1)
TRIM_EVERY = datetime.timedelta(minutes=1)
MAX_SERVICE_NAME = 63


class UsageSamples:
    """One per process (the hub's leader is the one that receives heartbeats)."""

    def __init__(self) -> None:
        self._last_trim: datetime.datetime | None = None

    async def record(self, node_id: int, metrics: p.NodeMetrics, now: datetime.datetime) -> int:
        """One row per reported service of the node's own deployments; how many were written.
        An agent speaking of a deployment that is not on its node is not believed."""
        reported = {d: u for d, u in metrics.deployments.items() if u.services}
        if not reported:
            return 0
        owned = await (
            Deployment.select(Deployment.id)
            .where((Deployment.node == node_id) & Deployment.id.is_in(list(reported)))
            .run()
        )
        rows = [
            ServiceSample(
                deployment=row["id"],
                service=service[:MAX_SERVICE_NAME],
                at=now,
                cpu_percent=round(usage.cpu_percent, 2),
                memory_mb=round(usage.memory_mb, 1),
            )
            for row in owned
            for service, usage in reported[row["id"]].services.items()
        ]
        if rows:
            await ServiceSample.insert(*rows).run()
        return len(rows)

    async def trim(self, now: datetime.datetime) -> bool:
        """Drop samples older than the window, at most once per TRIM_EVERY."""
        if self._last_trim is not None and now - self._last_trim < TRIM_EVERY:
            return False
        self._last_trim = now
        await ServiceSample.delete().where(ServiceSample.at < now - WINDOW).run()
        return True
