"""Fixtures for plugin distribution and plugin logs on the real parts.

isolated_dockerd   a node whose Docker cannot reach the test registry (module scope)
pushed_seed        the test plugin image in the registry as dist/seed:1.0 and :2.0
plugin_stack       hub + one real agent + SAQ worker + registry with credentials: a busybox
                   web service, the plugin `seed` (dist/seed:1.0) and a project `shop`
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core import runtime
from core.actor import Actor
from core.domain.images import DOCKER_HUB_URL
from core.jobs import make_queue, make_worker
from core.services import catalog, plugins, projects, registries
from core.settings import Settings
from core.tables import Registry
from shoaltest.db import insert_row
from shoaltest.hub import add_node_with_agent, wait_status
from shoaltest.isolated_dockerd import IsolatedDockerd, start_isolated_dockerd


@pytest.fixture(scope="module")
def isolated_dockerd(docker_client) -> Iterator[IsolatedDockerd]:
    daemon = start_isolated_dockerd()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def pushed_seed(registry, plugin_image) -> dict[str, str]:
    return {tag: registry.push(plugin_image, "dist/seed", tag) for tag in ("1.0", "2.0")}


@dataclass
class PluginStack:
    admin: Actor
    env_id: int
    node: Any
    agent: Any
    registry_id: int
    web_id: int
    seed: plugins.PluginView
    project_id: int

    def plugin_input(self, **changes: Any) -> plugins.PluginInput:
        values = {
            "name": "seed",
            "registry_id": self.registry_id,
            "image": "dist/seed",
            "tag": "1.0",
            "timeout_s": 240,
            "cpu": 0.2,
            "memory_mb": 64,
        }
        return plugins.PluginInput(**(values | changes))


@pytest.fixture
async def plugin_stack(
    hub, hub_env, agent_factory, database, registry, pushed_seed, busybox_image
) -> AsyncIterator[PluginStack]:
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    runtime.install(settings=Settings())
    queue = make_queue(database, 2)
    await queue.connect()
    runtime.install(queue=queue)
    worker = make_worker(queue, 4, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    local = await registries.create_registry(
        admin,
        registries.RegistryInput(
            name="local", url=registry.url, username=registry.username, password=registry.password
        ),
    )
    docker_hub = await insert_row(Registry(name="docker-hub", url=DOCKER_HUB_URL))
    image, tag = busybox_image.split(":")
    web = await catalog.create_service(
        admin,
        catalog.ServiceInput(
            name="web",
            registry_id=docker_hub,
            image=image,
            tag=tag,
            port=8080,
            command="httpd -f -p 8080 -h /www",
            health_check=catalog.HealthCheck(kind="http", path="/"),
            cpu=0.1,
            memory_mb=64,
        ),
    )
    stack = PluginStack(admin, env_id, node, agent, local.id, web.id, None, 0)  # type: ignore[arg-type]
    stack.seed = await plugins.create_plugin(admin, stack.plugin_input())
    project = await projects.create_project(
        admin, projects.ProjectInput(name="shop", cpu=0.5, memory_mb=512)
    )
    stack.project_id = project.id
    yield stack
    await worker.stop()
    worker_task.cancel()
    await queue.disconnect()
