"""Run order and per-container limits of a deployment."""

import pytest

from agent.plan import PlanError, layers, plan_limits
from agent.protocol import (
    DeploymentSpec,
    Edge,
    Limits,
    PluginConfig,
    PluginNode,
    ServiceConfig,
    ServiceNode,
)


def spec(nodes, edges=(), cpu=2.0, memory_mb=1024) -> DeploymentSpec:
    return DeploymentSpec(
        id=1,
        name="d",
        environment="qa",
        limits=Limits(cpu=cpu, memory_mb=memory_mb),
        pipeline_version=1,
        nodes=list(nodes),
        edges=[Edge(source=a, target=b) for a, b in edges],
    )


def svc(node_id, cpu=None, memory_mb=None):
    return ServiceNode(id=node_id, image="i", config=ServiceConfig(cpu=cpu, memory_mb=memory_mb))


def plugin(node_id, cpu=0.5, memory_mb=128):
    return PluginNode(id=node_id, image="p", config=PluginConfig(cpu=cpu, memory_mb=memory_mb))


def test_layers_follow_the_edges():
    s = spec([svc("web"), plugin("db"), svc("api")], [("db", "api"), ("api", "web")])
    assert [[n.id for n in layer] for layer in layers(s)] == [["db"], ["api"], ["web"]]


def test_cycles_and_unknown_nodes_are_refused():
    with pytest.raises(PlanError, match="cycle"):
        layers(spec([svc("a"), svc("b")], [("a", "b"), ("b", "a")]))
    with pytest.raises(PlanError, match="unknown"):
        layers(spec([svc("a")], [("a", "zz")]))


def test_services_share_what_plugins_leave_and_the_sum_fits():
    s = spec(
        [plugin("p1"), plugin("p2"), svc("a"), svc("b", cpu=0.5, memory_mb=256)],
        [("p1", "a"), ("p2", "a")],
    )
    limits = plan_limits(s, layers(s))
    assert limits["p1"].cpu == 0.5 and limits["b"].memory_mb == 256
    # p1 and p2 run together (1 CPU, 256 MB); b takes 0.5/256; a gets the rest.
    assert limits["a"].cpu == pytest.approx(0.5) and limits["a"].memory_mb == 512
    services = limits["a"].cpu + limits["b"].cpu
    assert services + 1.0 <= 2.0 + 1e-9


def test_explicit_limits_over_the_project_are_refused_clearly():
    s = spec([svc("a", cpu=1.5), svc("b", cpu=1.0)], cpu=2.0)
    with pytest.raises(PlanError, match="more CPU than the project allows"):
        plan_limits(s, layers(s))
    s = spec([svc("a", memory_mb=900), svc("b")], memory_mb=904)
    with pytest.raises(PlanError, match="memory"):
        plan_limits(s, layers(s))
