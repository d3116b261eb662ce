"""A node's Docker host restarts: dockerd stops (its containers with it) and starts again, with
the agent alive and then with the agent gone too (a whole reboot). Every deployment that should
run comes back on its network at the same ports, so the ingress routes are the same and answer,
and the control plane shows it `running`; nobody clicks anything. dockerd restarting while a
pipeline runs ends running, or failed and rolled back: never half-made.

The daemon is the test's own (shoaltest/own_dockerd.py), restarted in the middle of the test;
the agent is a real process pointed at it with DOCKER_HOST. Real control plane: services, SAQ
worker, hub, route table.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from core import runtime
from core.ingress.source import load_route_table
from core.jobs import make_worker
from core.services import nodes
from core.settings import Settings
from core.tables import PipelineStep
from shoaltest.httpd_project import deploy, deployment_reaches, deployment_row, httpd_project
from shoaltest.hub import until, wait_status
from shoaltest.own_dockerd import OwnDockerd

pytestmark = pytest.mark.docker

HOST = "127.0.0.25"  # the node's published ports, apart from the system daemon's on 127.0.0.1


@dataclass
class Node:
    admin: Any
    env_id: int
    node: Any
    agent: Any
    dockerd: OwnDockerd


@pytest.fixture
def own_dockerd(docker_client, busybox_image, plugin_image) -> Iterator[OwnDockerd]:
    with OwnDockerd() as dockerd:
        dockerd.load(busybox_image, plugin_image)
        yield dockerd


@pytest.fixture
async def on_own_dockerd(hub, hub_env, agent_factory, own_dockerd, queue) -> AsyncIterator[Node]:
    admin, env_id = hub_env
    runtime.install(settings=Settings())
    # The node's host is where it publishes (the hub insists), so the agent listens there too.
    agent = agent_factory(start=False, env={"DOCKER_HOST": own_dockerd.host})
    agent.extra_args = [
        "--listen",
        f"{HOST}:{agent.port}",
        "--subnet-pool",
        own_dockerd.subnet_pool,
    ]
    node = await nodes.add_node(admin, env_id, nodes.NodeInput(host=HOST, port=agent.port))
    agent.token = node.token
    await asyncio.to_thread(agent.start)
    await wait_status(node.id, "online")
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    yield Node(admin, env_id, node, agent, own_dockerd)
    await worker.stop()
    worker_task.cancel()
    agent.kill()  # before its daemon goes


async def upstreams(deployment_id: int) -> dict[str, str]:
    """What the ingress routes the deployment's hosts to (computed from the database)."""
    table = await load_route_table()
    return {r.host: r.upstream for r in table.routes if r.deployment_id == deployment_id}


async def all_answer(routes: dict[str, str]) -> bool:
    async with httpx.AsyncClient() as client:
        for upstream in routes.values():
            try:
                response = await client.get(f"http://{upstream}/", timeout=3)
            except httpx.HTTPError:
                return False
            if response.status_code != 200 or "shoal busybox" not in response.text:
                return False
    return bool(routes)


def on_its_network(dockerd: OwnDockerd, agent_id: str, deployment_id: int) -> bool:
    """The web container's network DNS answers `api` with api's address on the deployment's
    network. (No packets between them: the host's firewall, the system daemon's FORWARD policy,
    drops bridged traffic of a daemon that writes no iptables rules.)"""
    network = f"shoal-{agent_id}-{deployment_id}"  # also the start of its containers' names
    with dockerd.client() as client:
        api = client.containers.get(f"{network}-api")
        web = client.containers.get(f"{network}-web")
        address = api.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
        code, output = web.exec_run(["nslookup", "api", "127.0.0.11"])
    return code == 0 and bool(address) and f"Address: {address}" in output.decode()


def hold_port(port: int) -> socket.socket:
    """Something else of the host takes `port` while the node is down."""
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the proxy's TIME_WAITs
    holder.bind((HOST, port))
    holder.listen()
    return holder


async def back_as_before(deployment_id: int, ports: dict[str, int], routes: dict[str, str]) -> bool:
    row = await deployment_row(deployment_id)
    return (
        row["status"] == "running"
        and row["ports"] == ports
        and await upstreams(deployment_id) == routes
        and await all_answer(routes)
    )


async def test_a_node_reboot_brings_its_deployments_back_at_the_same_urls(on_own_dockerd):
    admin, env_id, agent, dockerd = (
        on_own_dockerd.admin,
        on_own_dockerd.env_id,
        on_own_dockerd.agent,
        on_own_dockerd.dockerd,
    )
    project = await httpd_project(admin, "shop", services=("api", "web"), edges=[("api", "web")])
    deployment_id = await deploy(admin, project, env_id, "pr-1")
    row = await deployment_reaches(deployment_id, "running", "failed")
    assert row["status"] == "running", row["error"]
    ports, routes = row["ports"], await upstreams(deployment_id)
    assert set(ports) == {"api", "web"} and len(routes) == 2
    assert all(upstream.startswith(f"{HOST}:") for upstream in routes.values())
    await until(lambda: all_answer(routes), 30, every=0.3)

    # 1. dockerd restarts under a live agent: the containers stop, and come back as they were.
    await asyncio.to_thread(dockerd.stop)
    assert not await all_answer(routes)
    await asyncio.to_thread(dockerd.start)
    await until(lambda: back_as_before(deployment_id, ports, routes), 90, every=0.5)
    assert await asyncio.to_thread(on_its_network, dockerd, agent.agent_id, deployment_id)

    # 2. Again, and web's port is taken meanwhile: web comes back on another port, which
    # reaches the control plane and the ingress; the URL (the route's host) stays.
    await asyncio.to_thread(dockerd.stop)
    holder = hold_port(ports["web"])
    try:
        await asyncio.to_thread(dockerd.start)

        async def moved() -> dict[str, int] | None:
            row = await deployment_row(deployment_id)
            now = row["ports"]
            return now if row["status"] == "running" and now["web"] != ports["web"] else None

        ports = await until(moved, 90, every=0.5)
    finally:
        holder.close()
    assert ports["api"] == row["ports"]["api"]
    web_host = next(host for host in routes if host.startswith("web."))
    routes = {**routes, web_host: f"{HOST}:{ports['web']}"}
    await until(lambda: back_as_before(deployment_id, ports, routes), 60, every=0.5)
    assert await asyncio.to_thread(on_its_network, dockerd, agent.agent_id, deployment_id)

    # 3. The whole machine: the agent goes down with dockerd (a power cut), then both start.
    agent.kill()
    await asyncio.to_thread(dockerd.stop)
    await wait_status(on_own_dockerd.node.id, "offline", within=15)
    await deployment_reaches(deployment_id, "offline", within=15)
    await asyncio.to_thread(dockerd.start)
    await asyncio.to_thread(agent.start)
    await wait_status(on_own_dockerd.node.id, "online", within=30)
    await until(lambda: back_as_before(deployment_id, ports, routes), 90, every=0.5)
    assert await asyncio.to_thread(on_its_network, dockerd, agent.agent_id, deployment_id)


async def _step_status(deployment_id: int, step: str) -> str | None:
    row = await (
        PipelineStep.select(PipelineStep.status)
        .where((PipelineStep.run.deployment == deployment_id) & (PipelineStep.node_id == step))
        .first()
        .run()
    )
    return row["status"] if row else None


def leftovers(dockerd: OwnDockerd, deployment_id: int) -> tuple[list[str], list[str]]:
    label = {"label": f"shoal.deployment={deployment_id}"}
    with dockerd.client() as client:
        containers = [c.name for c in client.containers.list(all=True, filters=label)]
        networks = [n.name for n in client.networks.list(filters=label)]
    return containers, networks


async def test_dockerd_restarting_mid_pipeline_ends_running_or_rolled_back(
    on_own_dockerd, plugin_image
):
    admin, env_id, dockerd = on_own_dockerd.admin, on_own_dockerd.env_id, on_own_dockerd.dockerd
    project = await httpd_project(
        admin,
        "slow",
        services=("api", "web"),
        plugin_steps=[("seed", plugin_image, {"mode": "slow"})],  # a 3 s step
        edges=[("api", "seed"), ("seed", "web")],
    )
    deployment_id = await deploy(admin, project, env_id, "pr-2")

    async def seeding() -> bool:
        return await _step_status(deployment_id, "seed") == "running"

    await until(seeding, 60, every=0.1)
    await asyncio.to_thread(dockerd.stop)
    await asyncio.to_thread(dockerd.start)

    row = await deployment_reaches(deployment_id, "running", "failed", within=120)
    print(f"dockerd restarted mid-pipeline: the deployment ended {row['status']} {row['error']}")
    if row["status"] == "running":
        routes = await upstreams(deployment_id)
        assert len(routes) == 2
        await until(lambda: all_answer(routes), 30, every=0.3)
        return
    assert row["error"]

    async def cleaned() -> bool:
        return await asyncio.to_thread(leftovers, dockerd, deployment_id) == ([], [])

    await until(cleaned, 60, every=0.5)
    assert await upstreams(deployment_id) == {}
