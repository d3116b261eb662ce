"""Agent events → rows, one small function at a time, on the real database."""

from __future__ import annotations

import datetime

from agent import protocol as p
from core import events as live
from core.hub import events
from core.services import nodes
from core.tables import Deployment, Node, NodeSample, PipelineRun, PipelineStep, ServiceSample
from shoaltest.hub import deployment_on


async def _node(hub_env, host: str) -> int:
    admin, env_id = hub_env
    return (await nodes.add_node(admin, env_id, nodes.NodeInput(host=host))).id


async def _status(deployment_id: int) -> str:
    rows = await Deployment.select(Deployment.status).where(Deployment.id == deployment_id).run()
    return rows[0]["status"]


async def test_status_from_another_node_is_ignored_and_deleted_is_final(hub_env):
    _, env_id = hub_env
    mine, other = await _node(hub_env, "10.0.0.1"), await _node(hub_env, "10.0.0.2")
    deployment_id = await deployment_on(mine, env_id, status="deploying")
    assert not await events.record_status(other, deployment_id, "running", ports={"web": 1})
    assert await _status(deployment_id) == "deploying"
    async with live.subscribe(f"deployment:{deployment_id}") as queue:
        assert await events.record_status(mine, deployment_id, "running", ports={"web": 32001})
        published = await queue.get()
    assert published["kind"] == "status" and published["status"] == "running"
    row = (
        await Deployment.select()
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
        .run()
    )
    assert row["ports"] == {"web": 32001} and row["status"] == "running"
    assert await events.record_status(mine, deployment_id, "deleted")
    assert not await events.record_status(mine, deployment_id, "running")
    assert await _status(deployment_id) == "deleted"


async def test_steps_create_the_run_and_rows_as_needed(hub_env):
    _, env_id = hub_env
    node_id = await _node(hub_env, "10.0.0.3")
    deployment_id = await deployment_on(node_id, env_id, status="deploying")
    await events.record_step(node_id, p.StepStarted(deployment_id=deployment_id, step="db"))
    finished = p.StepFinished(deployment_id=deployment_id, step="db", ok=True, outputs={"x": 1})
    await events.record_step(node_id, finished)
    failed = p.StepFinished(deployment_id=deployment_id, step="api", ok=False, error="boom")
    await events.record_step(node_id, failed)
    assert await PipelineRun.count().where(PipelineRun.deployment == deployment_id).run() == 1
    steps = {s["node_id"]: s for s in await PipelineStep.select().output(load_json=True).run()}
    assert steps["db"]["status"] == "succeeded" and steps["db"]["outputs"] == {"x": 1}
    assert steps["db"]["started_at"] and steps["db"]["finished_at"]
    assert steps["api"]["status"] == "failed" and steps["api"]["error"] == "boom"
    await events.record_status(node_id, deployment_id, "failed", "boom")
    run = await PipelineRun.select().first().run()
    assert run["status"] == "failed" and run["finished_at"] is not None


async def test_heartbeat_fills_the_node_and_keeps_one_hour_of_samples(hub_env):
    node_id = await _node(hub_env, "10.0.0.4")
    events.forget_node(node_id)  # ids restart in every test; the sampling memory must too
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
    await NodeSample.insert(NodeSample(node=node_id, at=old)).run()
    metrics = p.NodeMetrics(
        capacity=p.NodeCapacity(cpus=2, memory_mb=4000),
        cpu_busy_percent=50,
        memory_available_mb=1000,
        disk_total_mb=1,
        disk_free_mb=1,
        docker="unavailable",
        allocated=p.Limits(cpu=1, memory_mb=100),
    )
    await events.record_heartbeat(node_id, metrics)
    row = await Node.select().where(Node.id == node_id).output(load_json=True).first().run()
    assert row["docker_status"] == "unavailable" and row["usage"]["cpu_used"] == 1.0
    assert row["capacity"] == {"cpus": 2, "memory_mb": 4000} and row["last_heartbeat_at"]
    samples = await NodeSample.select().where(NodeSample.node == node_id).run()
    assert len(samples) == 1 and samples[0]["memory_used_mb"] == 3000
    await events.record_heartbeat(node_id, metrics)  # within 15 s: no second chart point
    assert await NodeSample.count().where(NodeSample.node == node_id).run() == 1


async def test_heartbeat_keeps_an_hour_of_samples_per_service_of_its_own_deployments(hub_env):
    _, env_id = hub_env
    node_id, other = await _node(hub_env, "10.0.0.14"), await _node(hub_env, "10.0.0.15")
    events.forget_node(node_id)
    mine = await deployment_on(node_id, env_id, status="running")
    theirs = await deployment_on(other, env_id, status="running")
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
    await ServiceSample.insert(ServiceSample(deployment=theirs, service="db", at=old)).run()
    limits = p.Limits(cpu=1, memory_mb=256)

    def usage(**services: tuple[float, float]) -> p.DeploymentUsage:
        return p.DeploymentUsage(
            containers=len(services),
            cpu_percent=sum(cpu for cpu, _ in services.values()),
            memory_mb=sum(mb for _, mb in services.values()),
            limits=limits,
            services={
                name: p.ServiceUsage(cpu_percent=c, memory_mb=m)
                for name, (c, m) in services.items()
            },
        )

    metrics = p.NodeMetrics(
        capacity=p.NodeCapacity(cpus=2, memory_mb=4000),
        cpu_busy_percent=10,
        memory_available_mb=3000,
        disk_total_mb=1,
        disk_free_mb=1,
        docker="ok",
        allocated=limits,
        # `theirs` is another node's: an agent is not believed about it
        deployments={mine: usage(web=(12.5, 40.0), api=(3.0, 90.5)), theirs: usage(db=(1.0, 1.0))},
    )
    events._service_samples._last_trim = None  # the trim runs at most once a minute per process
    await events.record_heartbeat(node_id, metrics)
    rows = await ServiceSample.select().order_by(ServiceSample.service).run()
    assert [(r["deployment"], r["service"], r["cpu_percent"], r["memory_mb"]) for r in rows] == [
        (mine, "api", 3.0, 90.5),
        (mine, "web", 12.5, 40.0),
    ]  # and the two-hour-old sample of `theirs` was trimmed
    await events.record_heartbeat(node_id, metrics)  # within 15 s: no second point
    assert await ServiceSample.count().run() == 2
    # An agent of the old protocol sends no per-service figures: nothing breaks, nothing kept.
    old_agent = p.decode(
        p.encode(p.Heartbeat(metrics=metrics)).replace(b'"services"', b'"x-unknown"'), p.Event
    )
    assert old_agent.metrics.deployments[mine].services == {}


async def test_offline_marks_live_deployments_and_says_it_once(hub_env):
    _, env_id = hub_env
    node_id = await _node(hub_env, "10.0.0.5")
    running = await deployment_on(node_id, env_id, status="running")
    failed = await deployment_on(node_id, env_id, status="failed")
    async with live.subscribe(f"node:{node_id}") as queue:
        await events.mark_node_offline(node_id, "offline", "cannot connect")
        await events.mark_node_offline(node_id, "offline", "cannot connect")  # a retry
        first = await queue.get()
        assert queue.empty()
    assert first["status"] == "offline" and first["error"] == "cannot connect"
    assert await _status(running) == "offline" and await _status(failed) == "failed"


async def test_pull_and_log_events_about_another_nodes_deployment_are_dropped(hub_env):
    _, env_id = hub_env
    mine, other = await _node(hub_env, "10.0.0.7"), await _node(hub_env, "10.0.0.8")
    deployment_id = await deployment_on(mine, env_id, status="deploying")
    intruding = [
        p.PullProgress(deployment_id=deployment_id, image="evil:1", status="Pulling"),
        p.LogLine(deployment_id=deployment_id, step="web", line="password=hunter2"),
    ]
    async with live.subscribe(f"deployment:{deployment_id}") as queue:
        for event in intruding:
            await events.dispatch(other, event)
        assert queue.empty()  # nothing reached the deployment's page from the other node
        for event in intruding:
            await events.dispatch(mine, event)
        kinds = [(await queue.get())["kind"], (await queue.get())["kind"]]
    assert kinds == ["pull", "log"]


async def test_a_late_report_never_undoes_a_delete_in_progress(hub_env):
    _, env_id = hub_env
    node_id = await _node(hub_env, "10.0.0.9")
    deployment_id = await deployment_on(node_id, env_id, status="deleting")
    assert not await events.record_status(node_id, deployment_id, "running", ports={"web": 1})
    assert await _status(deployment_id) == "deleting"
    assert await events.record_status(node_id, deployment_id, "deleted")
    assert not await events.record_status(node_id, deployment_id, "deploying")
    assert await _status(deployment_id) == "deleted"
