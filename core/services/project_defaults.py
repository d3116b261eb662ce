"""The CPU/RAM a new project's form starts with: sized to the nodes there are (on a laptop,
the local node), so the default project fits where it will run."""

from __future__ import annotations

import msgspec

from core.domain.capacity import suggested_limits
from core.tables import Node


class Limits(msgspec.Struct, frozen=True):
    cpu: float
    memory_mb: int


async def suggested() -> Limits:
    rows = await Node.select(Node.capacity).where(Node.enabled == True).output(load_json=True).run()  # noqa: E712
    sizes = [row["capacity"] or {} for row in rows]
    cpus = max((float(size.get("cpus", 0) or 0) for size in sizes), default=0.0)
    memory = max((int(size.get("memory_mb", 0) or 0) for size in sizes), default=0)
    return Limits(*suggested_limits(cpus, memory))
