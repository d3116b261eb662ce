"""Which deployments a node holds, as the hub checks before it records an agent's event.

An agent may only speak of deployments placed on its own node: a step, a status, a pull, a log
line about any other one is dropped. Plugin stderr arrives as a stream of log events, so a
positive answer is remembered for a few seconds instead of costing a query per line; a negative
one is not remembered (a deployment placed a moment ago must be accepted at once).
"""

from __future__ import annotations

import time

from core.tables import Deployment

REMEMBER_S = 10.0
MAX_REMEMBERED = 10_000


class Ownership:
    def __init__(self, remember_s: float = REMEMBER_S) -> None:
        self.remember_s = remember_s
        self._until: dict[tuple[int, int], float] = {}

    async def holds(self, node_id: int, deployment_id: int) -> bool:
        key, now = (node_id, deployment_id), time.monotonic()
        if self._until.get(key, 0.0) > now:
            return True
        owned = await (
            Deployment.exists()
            .where((Deployment.id == deployment_id) & (Deployment.node == node_id))
            .run()
        )
        if owned:
            if len(self._until) >= MAX_REMEMBERED:
                self._until.clear()
            self._until[key] = now + self.remember_s
        return owned
