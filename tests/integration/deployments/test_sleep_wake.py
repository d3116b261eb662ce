"""Sleep and wake by hand (issue 20), with the real services, SAQ worker, hub, an agent process
and dockerd: a sleeping deployment's containers are stopped, not removed; its room on the node
goes to a deployment that did not fit before; a wake the node has no room for says so and
leaves it sleeping; a wake brings it back at the same port; twenty wakes at once make one; a
deployment deleted while asleep leaves no container behind. Full access only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import docker
import httpx
import pytest

from core import runtime
from core.actor import Actor
from core.errors import CapacityExceeded, Forbidden
from core.jobs import make_worker
from core.services import accounts, deployment_actions, naps, scheduling, teams
from core.settings import Settings
from core.tables import AuditEvent, Deployment, Node, Project
from shoaltest.agent import labelled
from shoaltest.httpd_project import deploy, deployment_reaches, deployment_row, httpd_project
from shoaltest.hub import add_node_with_agent, until, wait_status
from shoaltest.web import ADMIN_PASSWORD, api_client

pytestmark = pytest.mark.docker


async def answers(port: int) -> bool:
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(f"http://127.0.0.1:{port}/", timeout=3)).status_code == 200
        except httpx.HTTPError:
            return False


def states(agent_id: str, deployment_id: int) -> dict[str, str]:
    """Container name → Docker state, for one deployment of this agent."""
    client = docker.from_env(timeout=60)
    labels = [f"shoal.node={agent_id}", f"shoal.deployment={deployment_id}"]
    found = client.api.containers(all=True, filters={"label": labels})
    client.close()
    return {c["Names"][0].lstrip("/"): c["State"] for c in found}


@pytest.fixture
async def scene(hub, hub_env, agent_factory, busybox_image, queue) -> AsyncIterator[Any]:
    admin, env_id = hub_env
    runtime.install(settings=Settings())
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    online = await wait_status(node.id, "online")
    # Other work on this shared machine must not decide what fits: only allocations count.
    await Node.update({Node.cpu_reserve: 4096.0}).where(Node.id == node.id).run()
    project_id = await httpd_project(admin, "shop", services=("api", "web"))
    capacity = online["capacity"]
    cpus = float((json.loads(capacity) if isinstance(capacity, str) else capacity)["cpus"])
    # One deployment fits on the node, two do not.
    await Project.update({Project.cpu: round(cpus * 0.6, 2)}).where(Project.id == project_id).run()
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    yield admin, env_id, project_id, agent
    await worker.stop()
    worker_task.cancel()


async def test_sleep_frees_the_room_and_a_wake_brings_it_back_at_its_ports(
    scene, web_app, client, admin: accounts.UserView
):
    _, env_id, project_id, agent = scene
    admin = Actor(id=admin.id, username=admin.username, is_admin=True)
    assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303
    first = await deploy(admin, project_id, env_id, "pr-1")
    running = await deployment_reaches(first, "running", "failed")
    assert running["status"] == "running", running["error"]
    ports = running["ports"]
    with pytest.raises(CapacityExceeded):
        await deploy(admin, project_id, env_id, "pr-2")

    page = await client.get(f"/deployments/{first}")
    assert f'action="/deployments/{first}/sleep"' in page.text
    assert (await client.form(f"/deployments/{first}/sleep", {})).status_code == 303
    asleep = await deployment_reaches(first, "sleeping", within=30)
    assert asleep["ports"] == ports
    page = await client.get(f"/deployments/{first}")
    assert 'id="sleeping"' in page.text and f'action="/deployments/{first}/wake"' in page.text
    node_id = (await Deployment.select(Deployment.node).where(Deployment.id == first))[0]["node"]
    node_page = await client.get(f"/nodes/{node_id}")
    assert 'id="reserved-to-wake"' in node_page.text and "1 sleeping deployment" in node_page.text
    room = await scheduling.load_of_node(node_id)
    assert room is not None and room.cpu_allocated == 0
    kept = await asyncio.to_thread(states, agent.agent_id, first)
    assert sorted(kept) == sorted(f"shoal-{agent.agent_id}-{first}-{s}" for s in ("api", "web"))
    assert set(kept.values()) == {"exited"}  # stopped, not removed
    assert not await answers(ports["web"])

    second = await deploy(admin, project_id, env_id, "pr-2")  # its room is free now
    assert (await deployment_reaches(second, "running", "failed"))["status"] == "running"
    with pytest.raises(CapacityExceeded, match="No room on node"):
        await naps.wake(admin, first)
    refused = await deployment_row(first)
    assert refused["status"] == "sleeping" and "No room on node" in refused["error"]

    await deployment_actions.delete(admin, second)
    await deployment_reaches(second, "deleted", within=60)
    api = await api_client(web_app, await accounts.get_user(admin.id))
    async with api:
        woken = await api.post(f"/api/v1/deployments/{first}/wake")
    assert (woken.status_code, woken.json()["status"]) == (202, "waking")
    back = await deployment_reaches(first, "running", "sleeping", within=60)
    assert (back["status"], back["error"], back["ports"]) == ("running", "", ports)
    assert await until(lambda: answers(ports["web"]), 30, every=0.3)
    actions = await AuditEvent.select(AuditEvent.action).where(AuditEvent.target_id == first)
    assert {"deployment.sleep", "deployment.wake"} <= {a["action"] for a in actions}


async def test_twenty_wakes_at_once_make_one_and_a_delete_while_asleep_removes_everything(
    scene,
):
    admin, env_id, project_id, agent = scene
    first = await deploy(admin, project_id, env_id, "pr-1")
    assert (await deployment_reaches(first, "running", "failed"))["status"] == "running"
    await naps.sleep(admin, first)
    await deployment_reaches(first, "sleeping", within=30)

    results = await asyncio.gather(*(naps.wake_deployment(first) for _ in range(20)))

    assert results.count("started") == 1, results
    assert set(results) <= {"started", "waking", "running"}
    assert (await deployment_reaches(first, "running", "sleeping", within=60))["status"] == (
        "running"
    )

    await naps.sleep(admin, first)
    await deployment_reaches(first, "sleeping", within=30)
    await deployment_actions.delete(admin, first)
    await deployment_reaches(first, "deleted", within=60)
    containers, networks = await asyncio.to_thread(labelled, agent.agent_id)
    assert containers == [] and networks == []


async def test_read_access_may_not_sleep_or_wake(scene):
    admin, env_id, project_id, _agent = scene
    first = await deploy(admin, project_id, env_id, "pr-1")
    assert (await deployment_reaches(first, "running", "failed"))["status"] == "running"
    reader = await accounts.create_user(admin, username="reader", password="reader-password")
    team = await teams.create_team(admin, "readers")
    await teams.add_member(admin, team.id, reader.id)
    await teams.grant(admin, team.id, "project", project_id, "read")
    as_reader = Actor(id=reader.id, username="reader", is_admin=False)

    with pytest.raises(Forbidden):
        await naps.sleep(as_reader, first)
    with pytest.raises(Forbidden):
        await naps.wake(as_reader, first)
    assert (await deployment_row(first))["status"] == "running"


async def test_a_node_that_goes_away_and_comes_back_keeps_a_sleeping_deployment_asleep(scene):
    admin, env_id, project_id, agent = scene
    first = await deploy(admin, project_id, env_id, "pr-1")
    assert (await deployment_reaches(first, "running", "failed"))["status"] == "running"
    await naps.sleep(admin, first)
    await deployment_reaches(first, "sleeping", within=30)
    node_id = (await Deployment.select(Deployment.node).where(Deployment.id == first))[0]["node"]

    agent.kill()
    await wait_status(node_id, "offline", within=15)
    assert (await deployment_row(first))["status"] == "sleeping"  # nothing of it runs
    await asyncio.to_thread(agent.start)
    await wait_status(node_id, "online", within=30)
    await asyncio.sleep(3)  # the sync and a reconcile pass

    # The node's desired state holds it, so the agent keeps it, asleep, containers and all.
    assert (await deployment_row(first))["status"] == "sleeping"
    kept = await asyncio.to_thread(states, agent.agent_id, first)
    assert len(kept) == 2 and set(kept.values()) == {"exited"}
