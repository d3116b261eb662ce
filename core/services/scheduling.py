"""Place a new deployment on a node without ever overcommitting one (the rule itself is
core.domain.capacity).

The node rows of the environment are locked (`SELECT … FOR UPDATE`) for the transaction that
reads their allocations and inserts the deployment, so two simultaneous requests are
serialised per environment: the second sees the first's allocation.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from core.domain import status
from core.domain.capacity import DEFAULT_CPU_RESERVE, NodeLoad, pick_node, shortfall
from core.errors import CapacityExceeded
from core.tables import Node

# "Sustained" needs about a minute of samples (the hub keeps one per 15 s): a node that just
# came up, busy with its own start, is not judged on one or two readings.
MIN_SAMPLES = 4
LOADS = """
SELECT n.id, n.name, n.capacity, n.usage, n.cpu_reserve, n.cpu_overcommit,
       (SELECT CASE WHEN COUNT(*) >= {} THEN AVG(s.cpu_outside) END FROM node_samples s
        WHERE s.node = n.id AND s.at > now() - interval '5 minutes') AS cpu_outside,
       COALESCE(SUM(d.cpu), 0) AS cpu_allocated,
       COALESCE(SUM(d.memory_mb), 0) AS memory_allocated_mb
FROM nodes n
LEFT JOIN deployments d ON d.node = n.id AND d.status = ANY({})
"""
LOCK_NODES = (
    LOADS
    + "WHERE n.environment = {} AND n.enabled AND n.schedulable AND n.status = 'online'\n"
    + "GROUP BY n.id ORDER BY n.id"
)
ONE_NODE = LOADS + "WHERE n.id = {} GROUP BY n.id"
OWN_LIVE = """
SELECT COUNT(*) AS count FROM deployments
WHERE environment = {} AND created_by = {} AND status = ANY({})
"""

RESERVED = """
SELECT COALESCE(SUM(cpu), 0) AS cpu, COALESCE(SUM(memory_mb), 0) AS memory_mb, COUNT(*) AS count
FROM deployments WHERE node = {} AND status = {}
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
        cpu_outside=float(row.get("cpu_outside") or 0),
        memory_used_mb=memory - int(available) if available is not None else 0,
        cpu_reserve=float(row.get("cpu_reserve", DEFAULT_CPU_RESERVE)),
        cpu_overcommit=float(row.get("cpu_overcommit", 1.0) or 1.0),
        name=str(row.get("name") or ""),
    )


async def load_of_node(node_id: int) -> NodeLoad | None:
    """What the scheduler sees of one node now (the node page explains it with this)."""
    rows = await Node.raw(ONE_NODE, MIN_SAMPLES, list(status.LIVE), node_id).run()
    return load_of(rows[0]) if rows else None


class Reserved(NamedTuple):
    """What a node's sleeping deployments would hold again once awake: not counted as used
    (their room goes to other deployments), shown beside the room on the node page."""

    cpu: float
    memory_mb: int
    deployments: int


async def reserved_to_wake(node_id: int) -> Reserved:
    rows = await Node.raw(RESERVED, node_id, status.SLEEPING).run()
    row = rows[0] if rows else {}
    return Reserved(
        float(row.get("cpu") or 0), int(row.get("memory_mb") or 0), int(row.get("count") or 0)
    )


async def choose_node_locked(
    environment_id: int, cpu: float, memory_mb: int, user_id: int | None = None
) -> int:
    """Inside a transaction: lock the environment's nodes and return the one to use.
    `user_id`: who asks, so a refusal can tell them whether deleting their own would help."""
    await Node.raw(
        "SELECT id FROM nodes WHERE environment = {} ORDER BY id FOR UPDATE", environment_id
    ).run()
    rows = await Node.raw(LOCK_NODES, MIN_SAMPLES, list(status.LIVE), environment_id).run()
    loads = [load_of(row) for row in rows]
    chosen = pick_node(loads, cpu, memory_mb)
    if chosen is None:
        own = 0
        if user_id is not None:
            counted = await Node.raw(OWN_LIVE, environment_id, user_id, list(status.LIVE)).run()
            own = int(counted[0]["count"]) if counted else 0
        raise CapacityExceeded(shortfall(loads, cpu, memory_mb, own))
    return chosen.node_id
