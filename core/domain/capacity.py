"""Does a deployment fit a node? (DESIGN §4) Capacity minus what live deployments were given
minus what the OS actually uses beyond that, compared with the project's CPU and RAM limits.

Memory is incompressible: what the OS really uses beyond the allocations is subtracted, from
the last report. CPU is compressible and one heartbeat's sample is noise (a burst of
deployments starting makes a node look full for a moment), so `cpu_used` is the node's average
over the last minutes: sustained load outside Shoal still keeps new deployments away.
"""

from __future__ import annotations

import msgspec


class NodeLoad(msgspec.Struct, frozen=True, kw_only=True):
    node_id: int
    cpu_capacity: float
    memory_capacity_mb: int
    cpu_allocated: float = 0.0
    memory_allocated_mb: int = 0
    cpu_used: float = 0.0  # last heartbeat: busy cores, OS-wide
    memory_used_mb: int = 0  # last heartbeat: used memory, OS-wide

    def free_cpu(self) -> float:
        # Actual usage counts only where it exceeds what was allocated: allocated deployments
        # that idle must not be counted twice, and work outside Shoal must not be ignored.
        return self.cpu_capacity - max(self.cpu_allocated, self.cpu_used)

    def free_memory_mb(self) -> int:
        return self.memory_capacity_mb - max(self.memory_allocated_mb, self.memory_used_mb)


def fits(load: NodeLoad, cpu: float, memory_mb: int) -> bool:
    return load.free_cpu() >= cpu - 1e-9 and load.free_memory_mb() >= memory_mb


def pick_node(loads: list[NodeLoad], cpu: float, memory_mb: int) -> NodeLoad | None:
    """The fitting node with the most room left (spreads deployments across nodes)."""
    fitting = [load for load in loads if fits(load, cpu, memory_mb)]
    if not fitting:
        return None
    return max(fitting, key=lambda n: (n.free_memory_mb() - memory_mb, n.free_cpu(), -n.node_id))


def shortfall(loads: list[NodeLoad], cpu: float, memory_mb: int) -> str:
    """Why nothing fits, in words an engineer can act on."""
    if not loads:
        return "no node of this environment is online, enabled and schedulable"
    best = max(loads, key=lambda n: (n.free_memory_mb(), n.free_cpu()))
    return (
        f"the roomiest node has {max(best.free_cpu(), 0):.2f} CPU and "
        f"{max(best.free_memory_mb(), 0)} MB free; this project needs {cpu:g} CPU and "
        f"{memory_mb} MB"
    )
