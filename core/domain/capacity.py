"""Does a deployment fit a node? (DESIGN §4)

Memory is incompressible: room = capacity - max(allocated, used as last reported), so what
the host really uses beyond the allocations keeps deployments away.

CPU is compressible, and Docker's quotas already keep deployments from starving each other, so
room = capacity * overcommit - allocated - (sustained load outside Shoal beyond the host
reserve). The host reserve (per node, default half a core) is the share of CPU the host's own
work may take without costing Shoal anything: a developer's busy laptop still takes
deployments, and a node saturated by other work still refuses them. "Sustained" is the node's
average over the last minutes (one heartbeat's sample is noise), and "outside Shoal" is the
node's busy CPU minus what Shoal's own containers used.
"""

from __future__ import annotations

import msgspec

from core.errors import InvalidInput

DEFAULT_CPU_RESERVE = 0.5
MAX_OVERCOMMIT = 4.0


class NodeLoad(msgspec.Struct, frozen=True, kw_only=True):
    node_id: int
    cpu_capacity: float
    memory_capacity_mb: int
    cpu_allocated: float = 0.0
    memory_allocated_mb: int = 0
    cpu_outside: float = 0.0  # sustained busy cores not used by Shoal's deployments
    memory_used_mb: int = 0  # last heartbeat: used memory, OS-wide
    cpu_reserve: float = DEFAULT_CPU_RESERVE
    cpu_overcommit: float = 1.0
    name: str = ""

    def cpu_schedulable(self) -> float:
        return self.cpu_capacity * self.cpu_overcommit

    def cpu_outside_counted(self) -> float:
        return max(self.cpu_outside - self.cpu_reserve, 0.0)

    def free_cpu(self) -> float:
        return self.cpu_schedulable() - self.cpu_allocated - self.cpu_outside_counted()

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


def shortfall(loads: list[NodeLoad], cpu: float, memory_mb: int, own_deployments: int = 0) -> str:
    """Why nothing fits, with the numbers, and what this user can do about it."""
    if not loads:
        return (
            "No room for this deployment: no node of this environment is online, enabled and "
            "schedulable. Ask an admin to add a node or bring one back."
        )
    best = max(loads, key=lambda n: (fits_share(n, cpu, memory_mb), n.free_memory_mb()))
    node = f"node {best.name}" if best.name else "the roomiest node"
    lacking = []
    if best.free_cpu() < cpu - 1e-9:
        outside = (
            f", other work on the host {best.cpu_outside:.2f} of which "
            f"{best.cpu_outside_counted():.2f} counts beyond its {best.cpu_reserve:g} CPU reserve"
            if best.cpu_outside_counted() > 0
            else ""
        )
        lacking.append(
            f"CPU: {node} has {best.cpu_schedulable():g}, deployments hold "
            f"{best.cpu_allocated:.2f}{outside}, so {max(best.free_cpu(), 0):.2f} CPU free; "
            f"this project needs {cpu:g} CPU"
        )
    if best.free_memory_mb() < memory_mb:
        used = max(best.memory_allocated_mb, best.memory_used_mb)
        lacking.append(
            f"memory: {node} has {best.memory_capacity_mb} MB, {used} MB in use "
            f"({best.memory_allocated_mb} MB held by deployments), so "
            f"{max(best.free_memory_mb(), 0)} MB free; this project needs {memory_mb} MB"
        )
    return f"No room for this deployment. {'; '.join(lacking)}. {_advice(best, own_deployments)}"


def fits_share(load: NodeLoad, cpu: float, memory_mb: int) -> float:
    """How close a node comes to fitting (1.0 = fits): picks the node a refusal talks about."""
    cpu_share = load.free_cpu() / cpu if cpu > 0 else 1.0
    memory_share = load.free_memory_mb() / memory_mb if memory_mb > 0 else 1.0
    return min(cpu_share, memory_share, 1.0)


def _advice(best: NodeLoad, own_deployments: int) -> str:
    held_by_shoal = best.cpu_allocated > 0 or best.memory_allocated_mb > 0
    if own_deployments:
        mine = "one" if own_deployments == 1 else f"some of the {own_deployments}"
        return f"Delete {mine} of your deployments here that you no longer need, or ask an admin."
    if held_by_shoal:
        return "Other people's deployments hold the room: ask an admin for more capacity."
    return "Ask an admin to lower the project's limits, raise the node's reserve, or add a node."


def suggested_limits(cpus: float, memory_mb: int) -> tuple[float, int]:
    """A new project's default CPU/RAM per deployment for the largest node there is: half
    its CPU and a quarter of its memory, so two deployments fit, capped at 2 CPU and 2 GB."""
    if cpus <= 0 or memory_mb <= 0:
        return 2.0, 2048
    cpu = min(2.0, max(0.25, int(cpus / 2 * 4) / 4))
    memory = min(2048, max(256, int(memory_mb / 4 / 128) * 128))
    return cpu, memory


def check_scheduling(cpu_reserve: float | None, cpu_overcommit: float | None) -> dict[str, float]:
    """A node's scheduling knobs, checked: {column: value} for those given."""
    values: dict[str, float] = {}
    if cpu_reserve is not None:
        if not 0 <= cpu_reserve <= 4096:
            raise InvalidInput("The host CPU reserve must be 0 or more cores.", "cpu_reserve")
        values["cpu_reserve"] = round(float(cpu_reserve), 2)
    if cpu_overcommit is not None:
        if not 1.0 <= cpu_overcommit <= MAX_OVERCOMMIT:
            raise InvalidInput(
                f"The CPU overcommit factor must be between 1 and {MAX_OVERCOMMIT:g}.",
                "cpu_overcommit",
            )
        values["cpu_overcommit"] = round(float(cpu_overcommit), 2)
    return values
