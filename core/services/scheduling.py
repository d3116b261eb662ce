"""Place a new deployment on a node without ever overcommitting one.

The node rows of the environment are locked (`SELECT … FOR UPDATE`) for the transaction that
reads their allocations and inserts the deployment, so two simultaneous requests are
serialised per environment: the second sees the first's allocation.
"""

from __future__ import annotations

import json
from typing import Any

from core.domain import status
from core.domain.capacity import NodeLoad, pick_node, shortfall
from core.errors import CapacityExceeded
from core.tables import Node

# "Sustained" needs about a minute of samples (the hub keeps one per 15 s): a node that just
# came up, busy with its own start, is not judged on one or two readings.
MIN_SAMPLES = 4
LOCK_NODES = """
SELECT n.id, n.capacity, n.usage,
       (SELECT CASE WHEN COUNT(*) >= {} THEN AVG(s.cpu_used) END FROM node_samples s
        WHERE s.node = n.id AND s.at > now() - interval '5 minutes') AS cpu_sustained,
       COALESCE(SUM(d.cpu), 0) AS cpu_allocated,
       COALESCE(SUM(d.memory_mb), 0) AS memory_allocated_mb
FROM nodes n
LEFT JOIN deployments d ON d.node = n.id AND d.status = ANY({})
WHERE n.environment = {} AND n.enabled AND n.schedulable AND n.status = 'online'
GROUP BY n.id
ORDER BY n.id
"""


def _json(value: Any) -> dict[str, Any]:
    """Raw queries hand JSONB back as text."""
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value or {}


def load_of(row: dict[str, Any]) -> NodeLoad:
    """A node's load from its heartbeats (capacity/usage/samples as the hub stores them)."""
    capacity = _json(row.get("capacity"))
    usage = _json(row.get("usage"))
    cpus = float(capacity.get("cpus", 0) or 0)
    memory = int(capacity.get("memory_mb", 0) or 0)
    available = usage.get("memory_available_mb")
    return NodeLoad(
        node_id=row["id"],
        cpu_capacity=cpus,
        memory_capacity_mb=memory,
        cpu_allocated=float(row["cpu_allocated"]),
        memory_allocated_mb=int(row["memory_allocated_mb"]),
        # CPU: the node's average over the last minutes, not one spiky heartbeat (see
        # core.domain.capacity); memory: the last report, as it cannot be squeezed.
        cpu_used=float(row.get("cpu_sustained") or 0),
        memory_used_mb=memory - int(available) if available is not None else 0,
    )


async def choose_node_locked(environment_id: int, cpu: float, memory_mb: int) -> int:
    """Inside a transaction: lock the environment's nodes and return the one to use."""
    await Node.raw(
        "SELECT id FROM nodes WHERE environment = {} ORDER BY id FOR UPDATE", environment_id
    ).run()
    rows = await Node.raw(LOCK_NODES, MIN_SAMPLES, list(status.LIVE), environment_id).run()
    loads = [load_of(row) for row in rows]
    chosen = pick_node(loads, cpu, memory_mb)
    if chosen is None:
        raise CapacityExceeded(
            f"No room for this deployment: {shortfall(loads, cpu, memory_mb)}. "
            "Delete a deployment you no longer need, or ask an admin for more capacity."
        )
    return chosen.node_id
