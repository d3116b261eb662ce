"""Small deployment specs for the unit tests of the deployment work."""

from __future__ import annotations

from typing import Any

from agent import protocol as p


def service(node_id: str, port: int | None = None, **config: Any) -> p.ServiceNode:
    check = p.HealthCheck(type="http", timeout_s=5) if port else None
    return p.ServiceNode(
        id=node_id,
        image=f"app/{node_id}:v1",
        config=p.ServiceConfig(port=port, health_check=check, **config),
    )


def plugin(node_id: str, **params: Any) -> p.PluginNode:
    return p.PluginNode(
        id=node_id, image=f"plugin/{node_id}:v1", config=p.PluginConfig(params=params)
    )


def spec(
    deployment_id: int,
    nodes: list[p.ServiceNode | p.PluginNode],
    edges: list[tuple[str, str]] = (),  # type: ignore[assignment]
    **fields: Any,
) -> p.DeploymentSpec:
    return p.DeploymentSpec(
        id=deployment_id,
        name=f"dep{deployment_id}",
        environment="qa",
        limits=p.Limits(cpu=2.0, memory_mb=1024),
        pipeline_version=fields.pop("pipeline_version", 1),
        nodes=nodes,
        edges=[p.Edge(source=a, target=b) for a, b in edges],
        **fields,
    )


def of_type(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]
