"""Teardown and reconcile against the fake Engine: no dockerd (issue 15)."""

from __future__ import annotations

import asyncio

import msgspec

from agent import protocol as p
from agent.deployments import Deployments
from agent.reconcile import reconcile
from agent.runs import INTERRUPTED
from agent.teardown import teardown

from .specs import of_type, plugin, service, spec


async def test_teardown_rolls_back_newest_first_and_removes_only_its_own(parts, engine, events):
    mine = spec(1, [service("api", port=80), plugin("a"), plugin("b")], [("a", "b")])
    for step, kind in (("a", "plugin"), ("b", "plugin"), ("api", "service")):
        parts.store.record_step(1, step, kind, "succeeded", {"done": step})
    parts.memory.remember(msgspec.structs.replace(mine, secrets={"K": "s3cret"}))
    engine.add_container(1, "api")
    engine.add_container(1, "leftover", state="exited")
    engine.add_network(1)
    other = engine.add_container(2, "api")
    engine.add_network(2, "10.213.9.64/26")
    parts.store.save_network(1, engine.network_name(1), "10.213.9.0/26")

    await teardown(parts, 1, mine)

    assert [(c.step, c.action) for c in engine.plugin_calls] == [
        ("b", "rollback"),
        ("a", "rollback"),
    ]
    assert engine.plugin_calls[0].document["secrets"] == {"K": "s3cret"}  # from memory
    assert list(engine.containers) == [other]
    assert list(engine.networks) == [engine.network_name(2)]
    assert engine.volumes == {engine.containers[other].volume}
    assert parts.store.subnets() == []
    assert [s.status for s in parts.store.steps(1) if s.kind == "plugin"] == ["rolled_back"] * 2
    assert [e.step for e in of_type(events, p.StepStarted)] == ["b", "a"]


async def test_reconcile_after_a_restart_rolls_back_the_interrupted_and_removes_orphans(
    parts, engine, events
):
    running = spec(1, [service("api", port=80)])
    interrupted = spec(2, [plugin("seed"), service("web")], [("seed", "web")])
    parts.store.save_deployment(running, "running")
    parts.store.save_deployment(interrupted, "deploying")
    parts.store.record_step(2, "seed", "plugin", "succeeded", {"done": "seed"})
    kept = engine.add_container(1, "api")
    engine.add_network(1)
    engine.add_container(2, "web", state="created")
    engine.add_network(2, "10.213.9.64/26")
    engine.add_container(9, "api")  # a deployment this node no longer has
    engine.add_container(9, "worker", state="exited")
    engine.add_network(9, "10.213.9.128/26")
    deployments = Deployments(parts)  # a new process: nothing in flight, nothing in memory
    deployments.synced = True  # the control plane sent its desired state (and the secrets)

    await reconcile(parts, deployments)

    assert list(engine.containers) == [kept]
    assert list(engine.networks) == [engine.network_name(1)]
    assert [(c.deployment_id, c.step, c.action) for c in engine.plugin_calls] == [
        (2, "seed", "rollback")
    ]
    record = parts.store.get(2)
    assert (record.status, record.error, record.retry_on_sync) == ("failed", INTERRUPTED, True)
    assert parts.store.get(1).status == "running"
    assert of_type(events, p.DeploymentStatus) == []  # nothing changed that the CP must hear


async def test_reconcile_waits_for_the_desired_state_before_rolling_back(parts, engine):
    parts.store.save_deployment(spec(2, [plugin("seed")]), "deploying")
    engine.add_container(2, "seed-apply", state="exited")

    await reconcile(parts, Deployments(parts))  # no sync yet: no secrets to roll back with

    assert parts.store.get(2).status == "deploying" and engine.plugin_calls == []


async def test_reconcile_brings_back_a_stopped_service_and_recreates_a_missing_one(
    parts, engine, events
):
    parts.store.save_deployment(
        spec(3, [service("api", port=80), service("web", port=81)]), "running"
    )
    stopped = engine.add_container(3, "api", state="exited")
    engine.add_network(3)

    await reconcile(parts, Deployments(parts))

    steps = {c.step: c for c in engine.owned_by(3)}
    assert steps["api"].id == stopped and steps["api"].state == "running"
    assert steps["web"].state == "running" and steps["web"].host_port
    [status] = of_type(events, p.DeploymentStatus)
    assert (status.status, status.error) == ("running", "")
    assert status.ports["web"] == steps["web"].host_port


async def test_reconcile_does_nothing_while_docker_is_down(parts, engine):
    parts.store.save_deployment(spec(4, [service("api")]), "running")
    engine.add_container(9, "api")
    engine.available = False

    await reconcile(parts, Deployments(parts))

    assert len(engine.containers) == 1


async def test_reconcile_finishes_a_delete_cut_short_by_a_restart(parts, engine, events):
    parts.store.save_deployment(spec(5, [service("api", port=80)]), "deleting")
    engine.add_container(5, "api")
    engine.add_network(5)
    deployments = Deployments(parts)
    deployments.synced = True

    await reconcile(parts, deployments)
    await asyncio.wait_for(deployments.work.tasks[5], 30)

    assert parts.store.get(5) is None
    assert engine.containers == {} and engine.networks == {}
    statuses = [e.status for e in of_type(events, p.DeploymentStatus)]
    assert statuses == ["deleting", "deleted"]
