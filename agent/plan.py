"""The run plan of a deployment: the order of its nodes and each container's CPU/RAM limit.

Order: layers; a layer holds the nodes whose predecessors are all in earlier layers, and runs
at once. Limits (how a deployment can never exceed its project's CPU and RAM): every container
gets a Docker limit, and the plan is refused unless the services' limits plus the largest set
of plugins that can run at the same time (one layer, or one rollback) fit the project's limit.
Services without an explicit limit share what is left equally; a plugin without one gets
DEFAULT_PLUGIN (capped by the project).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.protocol import DeploymentSpec, PluginNode, ServiceNode

MIN_MEMORY_MB = 8  # Docker refuses limits under 6 MB
DEFAULT_PLUGIN_CPU = 0.5
DEFAULT_PLUGIN_MEMORY_MB = 256

GraphNode = ServiceNode | PluginNode


class PlanError(Exception):
    pass


@dataclass(frozen=True)
class NodeLimits:
    cpu: float
    memory_mb: int


def layers(spec: DeploymentSpec) -> list[list[GraphNode]]:
    by_id = {node.id: node for node in spec.nodes}
    if len(by_id) != len(spec.nodes):
        raise PlanError("two nodes share an id")
    preds: dict[str, set[str]] = {node_id: set() for node_id in by_id}
    for edge in spec.edges:
        if edge.source not in by_id or edge.target not in by_id:
            raise PlanError(f"edge {edge.source} → {edge.target} names an unknown node")
        preds[edge.target].add(edge.source)
    done: set[str] = set()
    order: list[list[GraphNode]] = []
    while len(done) < len(by_id):
        ready = [by_id[n] for n in by_id if n not in done and preds[n] <= done]
        if not ready:
            raise PlanError("the pipeline graph has a cycle")
        order.append(ready)
        done.update(node.id for node in ready)
    return order


def predecessors(spec: DeploymentSpec, node_id: str) -> list[str]:
    return [edge.source for edge in spec.edges if edge.target == node_id]


def plan_limits(spec: DeploymentSpec, order: list[list[GraphNode]]) -> dict[str, NodeLimits]:
    cap = spec.limits
    limits: dict[str, NodeLimits] = {}
    for node in spec.nodes:
        if isinstance(node, PluginNode):
            cpu = min(node.config.cpu or DEFAULT_PLUGIN_CPU, cap.cpu)
            memory = min(node.config.memory_mb or DEFAULT_PLUGIN_MEMORY_MB, cap.memory_mb)
            limits[node.id] = NodeLimits(cpu, memory)
    plugin_cpu, plugin_memory = 0.0, 0
    for layer in order:
        plugin_cpu = max(plugin_cpu, sum(limits[n.id].cpu for n in layer if n.id in limits))
        plugin_memory = max(
            plugin_memory, sum(limits[n.id].memory_mb for n in layer if n.id in limits)
        )
    services = [node for node in spec.nodes if isinstance(node, ServiceNode)]
    explicit_cpu = sum(node.config.cpu or 0 for node in services)
    explicit_memory = sum(node.config.memory_mb or 0 for node in services)
    left_cpu = cap.cpu - explicit_cpu - plugin_cpu
    left_memory = cap.memory_mb - explicit_memory - plugin_memory
    no_cpu = [node for node in services if not node.config.cpu]
    no_memory = [node for node in services if not node.config.memory_mb]
    if left_cpu < -1e-9 or (no_cpu and left_cpu / len(no_cpu) < 0.01):
        raise PlanError(
            f"the pipeline needs more CPU than the project allows ({cap.cpu}): services ask "
            f"{explicit_cpu:g}, plugins running together {plugin_cpu:g}"
            + (f", and {len(no_cpu)} service(s) without a limit need a share" if no_cpu else "")
        )
    if left_memory < 0 or (no_memory and left_memory // len(no_memory) < MIN_MEMORY_MB):
        raise PlanError(
            f"the pipeline needs more memory than the project allows ({cap.memory_mb} MB): "
            f"services ask {explicit_memory} MB, plugins running together {plugin_memory} MB"
            + (
                f", and {len(no_memory)} service(s) without a limit need a share"
                if no_memory
                else ""
            )
        )
    for node in services:
        cpu = node.config.cpu or round(left_cpu / len(no_cpu), 3)
        memory = node.config.memory_mb or left_memory // len(no_memory)
        limits[node.id] = NodeLimits(cpu, memory)
    return limits
