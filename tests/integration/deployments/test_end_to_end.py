"""Deployments end to end with every real part: control-plane services, SAQ worker, hub, a real
agent process on dockerd, a local docker-registry with credentials, and Caddy.

A project of three busybox-httpd services (each page names its tag) and one plugin step.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import docker
import httpx
import pytest

from core import ingress, runtime
from core.actor import Actor
from core.jobs import make_worker
from core.services import catalog, pipelines, plugins, projects, registries, teams
from core.services import deployment_actions as actions
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from core.tables import Deployment
from shoaltest.agent import labelled
from shoaltest.hub import add_node_with_agent, until, wait_status

pytestmark = pytest.mark.docker
TAGS = ("v1", "v2", "v3")


def build_web_image(client: docker.DockerClient, base: str, tag: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text(
            f"FROM {base}\nRUN mkdir -p /www && echo 'web says {tag}' > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        name = f"shoal-test/e2e-web:{tag}"
        client.images.build(path=tmp, tag=name, rm=True)
    return name


@pytest.fixture(scope="module")
def pushed(registry, docker_client, busybox_image, plugin_image):
    for tag in TAGS:
        registry.push(build_web_image(docker_client, busybox_image, tag), "shop/web", tag)
    registry.push(plugin_image, "shop/seed", "1.0")
    return registry


@pytest.fixture
async def stack(hub, hub_env, agent_factory, pushed, caddy, queue):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    settings = caddy.settings()
    runtime.install(settings=settings)
    await ingress.start(settings)
    worker = make_worker(queue, 4, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    reg = await registries.create_registry(
        admin,
        registries.RegistryInput(
            name="local", url=pushed.url, username=pushed.username, password=pushed.password
        ),
    )
    health = catalog.HealthCheck(kind="http", path="/")
    services = {}
    for name, mode in (("web", "selectable"), ("api", "pinned"), ("docs", "selectable")):
        services[name] = await catalog.create_service(
            admin,
            catalog.ServiceInput(
                name=name,
                registry_id=reg.id,
                image="shop/web",
                tag_mode=mode,
                tag="v1" if mode == "pinned" else "",
                tag_pattern="v*" if mode != "pinned" else "",
                port=8080,
                health_check=health,
                cpu=0.25,
                memory_mb=64,
            ),
        )
    seed = await plugins.create_plugin(
        admin,
        plugins.PluginInput(
            name="seed",
            registry_id=reg.id,
            image="shop/seed",
            tag="1.0",
            timeout_s=30,
            cpu=0.1,
            memory_mb=64,
        ),
    )
    project = await projects.create_project(
        admin, projects.ProjectInput(name="shop", cpu=1.0, memory_mb=512)
    )
    graph = {
        "nodes": [
            {"id": "api", "kind": "service", "config": {"service_id": services["api"].id}},
            {
                "id": "seed",
                "kind": "plugin",
                "config": {"plugin_id": seed.id, "params": {"mode": "ok"}},
            },
            {"id": "web", "kind": "service", "config": {"service_id": services["web"].id}},
            {"id": "docs", "kind": "service", "config": {"service_id": services["docs"].id}},
        ],
        "edges": [{"from": "api", "to": "seed"}, {"from": "seed", "to": "web"}],
        "layout": {},
    }
    await pipelines.save_pipeline(admin, project.id, graph, "three services and a seed")
    yield {
        "graph": graph,
        "admin": admin,
        "env_id": env_id,
        "node": node,
        "agent": agent,
        "project": project,
        "caddy": caddy,
    }
    await worker.stop()
    worker_task.cancel()
    await ingress.stop()


async def wait_for(actor, dep_id, wanted, within=60.0):
    async def reached():
        dep = await get_deployment(actor, dep_id)
        return dep if dep.status in wanted else None

    return await until(reached, within, every=0.2)


async def fetch(caddy, url: str) -> httpx.Response:
    host = url.split("//")[1].split(":")[0]
    async with httpx.AsyncClient() as client:
        return await client.get(caddy.ingress_url + "/", headers={"Host": host}, timeout=5)


async def test_create_run_reach_extend_and_delete(stack):
    admin, caddy = stack["admin"], stack["caddy"]
    dep = await create_deployment(
        admin,
        DeploymentInput(
            project_id=stack["project"].id,
            environment_id=stack["env_id"],
            name="pr-1",
            tags={"web": "v3", "docs": "v2"},
        ),
    )
    dep = await wait_for(admin, dep.id, ("running", "failed"))
    assert dep.status == "running", dep.error
    assert set(dep.urls) == {"api", "web", "docs"}
    for node, tag in (("api", "v1"), ("web", "v3"), ("docs", "v2")):

        async def answered(node=node):
            response = await fetch(caddy, dep.urls[node])
            return response if response.status_code == 200 else None

        response = await until(answered, 15, every=0.2)
        assert response.text.strip() == f"web says {tag}"

    before = dep.expires_at
    extended = await actions.extend(admin, dep.id)
    assert extended.expires_at > before

    await actions.delete(admin, dep.id)
    gone = await wait_for(admin, dep.id, ("deleted",), within=30)
    assert gone.deleted_at is not None
    containers, networks = labelled(stack["agent"].agent_id)
    assert containers == [] and networks == []

    async def route_gone():
        return (await fetch(caddy, dep.urls["web"])).status_code == 404

    await until(route_gone, 10, every=0.2)


async def test_a_missing_tag_fails_rolls_back_and_retry_recovers(stack, pushed):
    admin = stack["admin"]
    registry = pushed
    # Allowed by the pattern but never pushed: the pull fails on the agent.
    dep = await create_deployment(
        admin,
        DeploymentInput(
            project_id=stack["project"].id,
            environment_id=stack["env_id"],
            name="pr-2",
            tags={"web": "v9", "docs": "v1"},
        ),
    )
    failed = await wait_for(admin, dep.id, ("failed",), within=60)
    assert "v9" in failed.error
    assert labelled(stack["agent"].agent_id)[0] == []  # rolled back: no containers left
    from shoaltest.docker import BUSYBOX_IMAGE  # noqa: F401  (the base of the pushed images)

    await (
        Deployment.update({Deployment.tags: {"api": "v1", "web": "v2", "docs": "v1"}})
        .where(Deployment.id == dep.id)
        .run()
    )
    await actions.retry(admin, dep.id)
    assert (await wait_for(admin, dep.id, ("running", "failed"))).status == "running"
    assert registry  # the registry stayed up throughout


async def test_read_only_user_sees_but_cannot_act(stack):
    admin = stack["admin"]
    from core.services import accounts

    user = await accounts.create_user(admin, username="reader", password="reader-password-1")
    team = await teams.create_team(admin, "readers")
    await teams.add_member(admin, team.id, user.id)
    await teams.grant(admin, team.id, "project", stack["project"].id, "read")
    dep = await create_deployment(
        admin,
        DeploymentInput(
            project_id=stack["project"].id,
            environment_id=stack["env_id"],
            name="pr-3",
            tags={"web": "v1", "docs": "v1"},
        ),
    )
    reader = Actor(user.id, "reader", False)
    seen = await get_deployment(reader, dep.id)
    assert seen.level == "read"
    from core.errors import Forbidden

    for action in (actions.extend, actions.delete):
        with pytest.raises(Forbidden):
            await action(reader, dep.id)
    await wait_for(admin, dep.id, ("running",))


async def test_agent_killed_mid_run_goes_offline_then_finishes_without_orphans(stack):
    admin, agent, project = stack["admin"], stack["agent"], stack["project"]
    slow = {
        **stack["graph"],
        "nodes": [
            {**n, "config": {**n["config"], "params": {"mode": "slow"}}} if n["id"] == "seed" else n
            for n in stack["graph"]["nodes"]
        ],
    }
    await pipelines.save_pipeline(admin, project.id, slow, "a slow seed step")
    dep = await create_deployment(
        admin,
        DeploymentInput(
            project_id=project.id,
            environment_id=stack["env_id"],
            name="pr-4",
            tags={"web": "v2", "docs": "v1"},
        ),
    )
    await wait_for(admin, dep.id, ("deploying",), within=30)
    await asyncio.sleep(1.0)  # inside the 3 s seed step
    await asyncio.to_thread(agent.kill)
    offline = await wait_for(admin, dep.id, ("offline",), within=20)
    assert offline.status == "offline"
    await asyncio.to_thread(agent.start)
    done = await wait_for(admin, dep.id, ("running", "failed"), within=90)
    assert done.status == "running", done.error
    containers, networks = labelled(agent.agent_id)
    client = docker.from_env()
    owners = {client.containers.get(c).labels["shoal.deployment"] for c in containers}
    assert owners == {str(dep.id)} and len(networks) == 1  # nothing left from the killed run
    assert len(containers) == 3  # api, web, docs; the seed plugin ran and went away


async def test_service_logs_reach_the_log_stream(stack, pushed):
    """What the page's log viewer reads: the last lines of one service, through hub and agent."""
    from web import sse

    admin = stack["admin"]
    reg = (await registries.list_registries())[-1]
    chatty = await catalog.create_service(
        admin,
        catalog.ServiceInput(
            name="chatty",
            registry_id=reg.id,
            image="shop/web",
            tag_mode="pinned",
            tag="v1",
            port=8080,
            health_check=catalog.HealthCheck(kind="http", path="/"),
            cpu=0.2,
            memory_mb=64,
            command='sh -c \'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done;'
            " exec httpd -f -p 8080 -h /www'",
        ),
    )
    project = await projects.create_project(
        admin, projects.ProjectInput(name="logs", cpu=0.5, memory_mb=256)
    )
    await pipelines.save_pipeline(
        admin,
        project.id,
        {
            "nodes": [{"id": "chatty", "kind": "service", "config": {"service_id": chatty.id}}],
            "edges": [],
            "layout": {},
        },
    )
    dep = await create_deployment(
        admin, DeploymentInput(project_id=project.id, environment_id=stack["env_id"], name="talk")
    )
    dep = await wait_for(admin, dep.id, ("running", "failed"))
    assert dep.status == "running", dep.error
    messages = [m async for m in sse.deployment_logs(dep, "chatty", 50, False)]
    lines = [json.loads(m.data)["line"] for m in messages if m.event == "log"]
    assert len(lines) == 50 and lines[-1] == "line 1999" and lines[0] == "line 1950"
    assert messages[-1].event == "end"
