"""The pipeline runner and a deploy's rollback against the fake Engine: no dockerd (issue 15)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from pathlib import Path

import msgspec
import pytest

from agent import protocol as p
from agent.deployments import Deployments
from agent.pipeline import PipelineRun, StepFailed

from .specs import of_type, plugin, service, spec

SETTLE_S = 30.0


async def settled(deployments: Deployments, deployment_id: int):
    """The deployment's state once no work is in flight on it (a generous bound: a loaded
    machine)."""
    deadline = time.monotonic() + SETTLE_S
    while deployments.busy(deployment_id):
        assert time.monotonic() < deadline, "the deploy did not end"
        await asyncio.sleep(0.01)
    return deployments.state(deployment_id)


async def test_a_run_starts_every_node_in_graph_order(parts, engine, events):
    nodes = [service("api", port=8080), plugin("seed", url="${{ nodes.api.outputs.host }}")]
    nodes.append(service("web", env={"SEEDED": "${{ nodes.seed.outputs.done }}"}))
    run = spec(7, nodes, [("api", "seed"), ("seed", "web")])

    ports = await PipelineRun(parts, run).run()

    api, web = (next(c for c in engine.owned_by(7) if c.step == step) for step in ("api", "web"))
    assert ports == {"api": api.host_port} and api.state == web.state == "running"
    assert web.env == {"SEEDED": "seed"}  # references resolved from the plugin's outputs
    assert [c.document["params"] for c in engine.plugin_calls] == [{"url": "api"}]
    assert list(engine.networks) == [engine.network_name(7)]
    assert [(s.step, s.status) for s in parts.store.steps(7)] == [
        ("api", "succeeded"),
        ("seed", "succeeded"),
        ("web", "succeeded"),
    ]
    assert [e.step for e in of_type(events, p.StepFinished) if e.ok] == ["api", "seed", "web"]
    assert parts.memory.outputs(7)["seed"] == {"done": "seed"}


async def test_a_failing_step_stops_the_run_and_names_the_step(parts, engine, events):
    engine.unpullable.add("app/web:v1")
    run = spec(8, [plugin("seed"), service("web")], [("seed", "web")])

    with pytest.raises(StepFailed, match="web: pull app/web:v1: manifest unknown"):
        await PipelineRun(parts, run).run()

    finished = of_type(events, p.StepFinished)
    assert [(e.step, e.ok) for e in finished] == [("seed", True), ("web", False)]
    assert parts.store.steps(8)[-1].status == "failed"


async def test_a_failed_deploy_rolls_back_its_plugins_and_removes_what_it_made(
    parts, engine, events
):
    def behaviour(step, action, document):
        if step == "migrate" and action == "apply":
            return 1, {"error": {"type": "Boom", "message": "schema locked"}}, "oops\n"
        return 0, {"outputs": {"done": step}}, ""

    engine.plugin_behaviour = behaviour
    deployments = Deployments(parts)
    nodes = [service("db", port=5432), plugin("seed"), plugin("migrate")]
    run = spec(9, nodes, [("db", "seed"), ("seed", "migrate")])

    deployments.deploy(run)
    state = await settled(deployments, 9)

    assert state.status == "failed"
    assert state.error == "migrate: plugin migrate exited with code 1: Boom: schema locked"
    calls = [(c.step, c.action) for c in engine.plugin_calls]
    assert calls == [("seed", "apply"), ("migrate", "apply"), ("seed", "rollback")]
    assert engine.owned_by(9) == [] and engine.networks == {} and engine.volumes == set()
    statuses = [e.status for e in of_type(events, p.DeploymentStatus)]
    assert statuses == ["deploying", "failed"]


async def test_a_failing_rollback_is_reported_and_the_removal_goes_on(parts, engine, events):
    def behaviour(step, action, document):
        if action == "rollback":
            return 1, {}, "cannot undo\n"
        return (1, {}, "") if step == "b" else (0, {"outputs": {}}, "")

    engine.plugin_behaviour = behaviour
    deployments = Deployments(parts)
    deployments.deploy(spec(10, [service("api", port=80), plugin("a"), plugin("b")], [("a", "b")]))
    state = await settled(deployments, 10)

    assert state.status == "failed" and "rollback incomplete" not in state.error
    rollbacks = [e for e in of_type(events, p.StepFinished) if e.action == "rollback"]
    assert [(e.step, e.ok, e.log) for e in rollbacks] == [("a", False, "cannot undo")]
    assert rollbacks[0].error.startswith("a rollback: plugin a exited with code 1")
    assert engine.owned_by(10) == [] and engine.networks == {} and engine.volumes == set()


async def test_a_deploy_sent_twice_runs_once(parts, engine):
    deployments = Deployments(parts)
    run = spec(11, [service("api", port=80), plugin("seed")])

    deployments.deploy(run)
    deployments.deploy(run)  # a resend while it runs
    assert (await settled(deployments, 11)).status == "running"
    deployments.deploy(run)  # and once it runs

    assert (await settled(deployments, 11)).status == "running"
    assert [c.step for c in engine.owned_by(11)] == ["api"]
    assert [(c.step, c.action) for c in engine.plugin_calls] == [("seed", "apply")]


async def test_a_delete_cancels_the_run_in_flight_and_removes_everything(parts, engine, events):
    engine.holding.add("slow")
    deployments = Deployments(parts)
    deployments.deploy(
        spec(12, [service("api", port=80), plugin("seed"), plugin("slow")], [("seed", "slow")])
    )
    deadline = time.monotonic() + SETTLE_S
    while [c.step for c in engine.plugin_calls] != ["seed", "slow"]:
        assert time.monotonic() < deadline, "the run did not reach its slow step"
        await asyncio.sleep(0.01)

    assert deployments.delete(12).status == "deleting"
    assert (await settled(deployments, 12)).status == "deleted"

    assert [(c.step, c.action) for c in engine.plugin_calls][2:] == [("seed", "rollback")]
    assert engine.containers == {} and engine.networks == {} and engine.volumes == set()
    statuses = [e.status for e in of_type(events, p.DeploymentStatus)]
    assert statuses == ["deploying", "deleting", "deleted"]  # the cancelled run reports nothing
    assert parts.store.get(12) is None and parts.memory.outputs(12) == {}


async def test_a_seeding_step_gets_its_dataset_mounted_or_fails_naming_it(parts, engine, tmp_path):
    body = b"PGDMP dump"
    sha = hashlib.sha256(body).hexdigest()
    ref = p.DatasetRef(name="shop", version=3, sha256=sha, size_bytes=len(body), format="custom")
    seeding = plugin("seed", dataset="shop")
    seeding.config.dataset = ref

    with pytest.raises(StepFailed, match=f"dataset shop v3 \\({sha}\\) is not on this node"):
        await PipelineRun(parts, spec(21, [seeding], [])).run()

    held = parts.config.data_dir / "datasets" / sha
    held.parent.mkdir(parents=True, exist_ok=True)
    held.write_bytes(body)
    await PipelineRun(parts, spec(22, [seeding], [])).run()
    assert engine.plugin_mounts["seed"] == {"/shoal/dataset": str(held)}
    sent = engine.plugin_calls[-1].document["data"]["dataset"]
    assert sent == {**msgspec.structs.asdict(ref), "path": "/shoal/dataset"}


async def test_an_agent_in_a_container_mounts_datasets_from_the_host_path(parts, engine):
    body = b"PGDMP other dump"
    sha = hashlib.sha256(body).hexdigest()
    held = parts.config.data_dir / "datasets" / sha
    held.parent.mkdir(parents=True, exist_ok=True)
    held.write_bytes(body)
    hosted = dataclasses.replace(parts.config, host_data_dir=Path("/var/lib/shoal-agent"))
    seeding = plugin("seed", dataset="shop")
    seeding.config.dataset = p.DatasetRef(
        name="shop", version=1, sha256=sha, size_bytes=len(body), format="custom"
    )
    await PipelineRun(dataclasses.replace(parts, config=hosted), spec(23, [seeding], [])).run()
    assert engine.plugin_mounts["seed"] == {
        "/shoal/dataset": f"/var/lib/shoal-agent/datasets/{sha}"
    }
