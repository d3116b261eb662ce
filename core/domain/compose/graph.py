"""An ok compose plan → the pipeline version's graph: nodes, edges, a layered layout."""

from __future__ import annotations

from typing import Any

from core.domain.compose.plan import Node, Plan


def graph(plan: Plan, service_ids: dict[str, int]) -> dict[str, Any]:
    """The pipeline graph; `service_ids` = node id → the catalog service created for it."""
    nodes, edges, layout = [], [], {}
    depth = _depths(plan.nodes)
    rows: dict[int, int] = {}
    for node in plan.nodes:
        config: dict[str, Any] = {"service_id": service_ids[node.node_id]}
        if node.env:
            config["env"] = node.env
        if node.health:
            config["health_check"] = node.health
        if node.entrypoint:
            config["entrypoint"] = node.entrypoint
        if node.volumes:
            config["volumes"] = node.volumes
        nodes.append({"id": node.node_id, "kind": "service", "config": config})
        edges += [{"from": a, "to": node.node_id} for a in node.after]
        row = rows[depth[node.node_id]] = rows.get(depth[node.node_id], -1) + 1
        layout[node.node_id] = {"x": 40 + 240 * depth[node.node_id], "y": 40 + 120 * row}
    return {"nodes": nodes, "edges": edges, "layout": layout}


def _depths(nodes: list[Node]) -> dict[str, int]:
    """Node id → its layer (0 = no dependency); check_graph refused cycles before."""
    depth: dict[str, int] = {}
    while len(depth) < len(nodes):
        ready = [n for n in nodes if n.node_id not in depth and all(a in depth for a in n.after)]
        if not ready:  # a cycle slipped through: lay the rest out in one column
            depth.update({n.node_id: 0 for n in nodes if n.node_id not in depth})
        for node in ready:
            depth[node.node_id] = 1 + max((depth[a] for a in node.after), default=-1)
    return depth
