"""A real deployment through the hub: agent events reach the deployment and pipeline rows;
the node dies → offline; it comes back → Sync with the desired state → running again."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from core.tables import Deployment, PipelineStep
from shoaltest.agent import httpd_service, make_spec
from shoaltest.hub import add_node_with_agent, deployment_on, started_hub, until, wait_status

pytestmark = pytest.mark.docker


async def _deployment(deployment_id: int) -> dict:
    return (
        await Deployment.select(Deployment.status, Deployment.ports, Deployment.error)
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
        .run()
    )


async def test_deploy_events_offline_and_resync(
    hub, hub_env, agent_factory, busybox_image, monkeypatch
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    deployment_id = await deployment_on(node.id, env_id, status="pending")
    web = httpd_service("web", busybox_image)
    web.config.command = ["sh", "-c", "echo line-one; echo line-two; exec httpd -f -p 8080 -h /www"]
    spec = make_spec(deployment_id, [web], cpu=0.5, memory_mb=128)

    async def desired(node_id: int):
        return [spec] if node_id == node.id else []

    monkeypatch.setattr(hub.sink, "desired_state", desired)
    await hub.deploy(node.id, spec)

    async def running():
        row = await _deployment(deployment_id)
        return row if row["status"] == "running" else None

    row = await until(running, 60)
    assert set(row["ports"]) == {"web"} and row["ports"]["web"] > 0
    steps = await PipelineStep.select(PipelineStep.node_id, PipelineStep.status).run()
    assert {"node_id": "web", "status": "succeeded"} in steps

    lines = [line.line async for line in hub.logs(node.id, deployment_id, "web", 10, False)]
    assert lines[:2] == ["line-one", "line-two"]
    # A follower process reaches the same stream through the leader; leaving early stops it.
    follower = await started_hub(hub.dsn, dataclasses.replace(hub.config, role="follower"))
    try:
        async for line in follower.logs(node.id, deployment_id, "web", 10, True):
            assert line.line == "line-one"
            break
        await until(lambda: _no_streams(hub, node.id), 5)
    finally:
        await follower.stop()

    agent.kill()
    await wait_status(node.id, "offline", within=4)
    assert (await _deployment(deployment_id))["status"] == "offline"

    started = time.monotonic()
    await asyncio.to_thread(agent.start)
    await wait_status(node.id, "online", within=10)
    row = await until(running, 30)
    print(f"restart → node online and deployment running in {time.monotonic() - started:.2f} s")
    assert row["ports"]["web"] > 0

    await hub.delete(node.id, deployment_id)

    async def deleted():
        return (await _deployment(deployment_id))["status"] == "deleted"

    await until(deleted, 30)


async def _no_streams(hub, node_id: int) -> bool:
    session = hub.connections[node_id].session
    return session is not None and not session.streams
