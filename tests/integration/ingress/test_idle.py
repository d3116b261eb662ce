"""Idle detection (issue 20) with the real services, SAQ worker, hub, an agent process, dockerd
and Caddy: a deployment that saw no request through Caddy and no container traffic for its
idle period is put to sleep (containers stopped, its room on the node given back, audited as
`idle` with the reason, in its history); a request through Caddy, or traffic straight to its
container, within the period keeps it awake.

The period is a minute (the setting's unit), so the idle check runs with an injected clock:
the test takes seconds. The activity it judges by is real: Caddy's per-host counters and the
agent's container byte counts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import docker
import httpx
import msgspec
import pytest

from core import runtime
from core.errors import CapacityExceeded
from core.ingress import options_from
from core.ingress.caddy import CaddyAdmin
from core.ingress.hostnames import hostname
from core.ingress.running import RunningIngress
from core.ingress.syncer import IngressSyncer
from core.jobs import idle as idle_job
from core.jobs import make_queue, make_worker
from core.services import deployment_history, idle
from core.settings import Settings
from core.tables import Deployment, Environment, Node, Project
from shoaltest.httpd_project import deploy, deployment_reaches, httpd_project
from shoaltest.hub import add_node_with_agent, until, wait_status

pytestmark = pytest.mark.docker


@dataclass
class Scene:
    admin: Any
    env_id: int
    project_id: int
    agent_id: str
    deployment_id: int
    port: int  # the web service's published host port
    caddy: Any

    async def through_caddy(self) -> int:
        host = hostname("web", "pr-1", "qa", "qa.example.test")
        async with httpx.AsyncClient(timeout=20) as client:
            url = f"http://127.0.0.1:{self.caddy.ingress_port}/"
            got = await client.get(url, headers={"Host": host})
        return got.status_code

    async def check(self, now: datetime) -> dict[str, int]:
        return await idle.sleep_idle(now, self.caddy.admin_url)


def container_states(agent_id: str, deployment_id: int) -> set[str]:
    client = docker.from_env(timeout=60)
    labels = [f"shoal.node={agent_id}", f"shoal.deployment={deployment_id}"]
    found = client.api.containers(all=True, filters={"label": labels})
    client.close()
    return {c["State"] for c in found}


async def activity(deployment_id: int) -> dict[str, Any]:
    rows = await Deployment.select(
        Deployment.status, Deployment.last_active_at, Deployment.net_bytes
    ).where(Deployment.id == deployment_id)
    return rows[0]


@pytest.fixture
async def queue(database: str) -> AsyncIterator[object]:
    """A real SAQ queue on the test database (as deployments/conftest.py makes one)."""
    made = make_queue(database, 2)
    await made.connect()
    runtime.install(queue=made)
    yield made
    await made.disconnect()


@pytest.fixture
async def scene(hub, hub_env, agent_factory, busybox_image, queue, caddy) -> AsyncIterator[Scene]:
    admin, env_id = hub_env
    # The ingress goes into the runtime before the worker starts (its jobs' tasks inherit
    # it); its syncer is set once the deployment runs: lifecycle moves resync it.
    running = RunningIngress()
    runtime.install(settings=Settings(), ingress=running)
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    online = await wait_status(node.id, "online")
    await Node.update({Node.cpu_reserve: 4096.0}).where(Node.id == node.id).run()
    await Environment.update({Environment.idle_minutes: 1}).where(Environment.id == env_id).run()
    project_id = await httpd_project(admin, "shop", services=("web",))
    capacity = online["capacity"]
    cpus = float((json.loads(capacity) if isinstance(capacity, str) else capacity)["cpus"])
    # One deployment fits on the node, two do not.
    await Project.update({Project.cpu: round(cpus * 0.6, 2)}).where(Project.id == project_id).run()
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    first = await deploy(admin, project_id, env_id, "pr-1")
    row = await deployment_reaches(first, "running", "failed")
    assert row["status"] == "running", row["error"]
    options = msgspec.structs.replace(options_from(caddy.settings()), host_metrics=True)
    syncer = IngressSyncer(CaddyAdmin(caddy.admin_url, timeout=5), options, owns_caddy=True)
    running.syncer = syncer
    await syncer.start()
    await syncer.sync_now()
    try:
        yield Scene(admin, env_id, project_id, agent.agent_id, first, row["ports"]["web"], caddy)
    finally:
        await syncer.stop()
        await worker.stop()
        worker_task.cancel()


async def test_requests_through_caddy_keep_it_awake_and_idle_puts_it_to_sleep(scene):
    with pytest.raises(CapacityExceeded):
        await deploy(scene.admin, scene.project_id, scene.env_id, "pr-2")
    # The cron's task reads the Caddy this process syncs; just started, it is not idle.
    assert await idle_job.sleep_idle({}) == {"checked": 1, "slept": 0}
    start = datetime.now(UTC)
    assert await scene.through_caddy() == 200
    assert await scene.check(start + timedelta(seconds=30)) == {"checked": 1, "slept": 0}

    assert await scene.through_caddy() == 200
    # A minute and a half after it started, it would be idle but for that request.
    assert await scene.check(start + timedelta(seconds=90)) == {"checked": 1, "slept": 0}
    assert (await activity(scene.deployment_id))["status"] == "running"

    later = start + timedelta(seconds=90 + 61)
    assert await scene.check(later) == {"checked": 1, "slept": 1}
    await deployment_reaches(scene.deployment_id, "sleeping", within=30)
    states = await asyncio.to_thread(container_states, scene.agent_id, scene.deployment_id)
    assert states == {"exited"}  # stopped, not removed
    entries = await deployment_history.history(scene.deployment_id)
    slept = [e for e in entries if e.action == "deployment.sleep"]
    assert [(e.actor_name, e.detail) for e in slept] == [("idle", "idle for 1 minute")]

    second = await deploy(scene.admin, scene.project_id, scene.env_id, "pr-2")  # room again
    assert (await deployment_reaches(second, "running", "failed"))["status"] == "running"


async def test_container_traffic_keeps_it_awake_and_a_project_can_turn_idle_off(scene):
    async def counted() -> bool:
        return (await activity(scene.deployment_id))["net_bytes"] is not None

    assert await until(counted, 20, every=0.3)  # the agent's heartbeats carry its byte count
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    await (
        Deployment.update({Deployment.updated_at: long_ago, Deployment.last_active_at: long_ago})
        .where(Deployment.id == scene.deployment_id)
        .run()
    )

    async with httpx.AsyncClient(timeout=10) as client:  # straight to the container
        assert (await client.get(f"http://127.0.0.1:{scene.port}/")).status_code == 200

    async def seen() -> bool:
        return (await activity(scene.deployment_id))["last_active_at"] > long_ago

    assert await until(seen, 20, every=0.3)
    now = datetime.now(UTC)
    assert await scene.check(now) == {"checked": 1, "slept": 0}

    await Project.update({Project.idle_minutes: 0}).where(Project.id == scene.project_id).run()
    assert await scene.check(now + timedelta(minutes=5)) == {"checked": 0, "slept": 0}
    await Project.update({Project.idle_minutes: None}).where(Project.id == scene.project_id).run()
    assert await scene.check(now + timedelta(minutes=5)) == {"checked": 1, "slept": 1}
    await deployment_reaches(scene.deployment_id, "sleeping", within=30)
