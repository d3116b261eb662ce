"""Fixtures for the agent hub: a real Hub (leader, own advisory-lock connection, fast timings)
installed as the test's runtime's hub, an environment and an admin, a node backed by a real agent
process, and rows for a deployment placed on a node.

    hub            a started leader Hub with test timings (heartbeat timeout 4 s, backoff ≤ 1 s)
    hub_env        (admin actor, environment id) with a master key configured
    until          await until(async predicate, within) — poll the database until true
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.hub import Hub, HubConfig
from shoaltest.db import insert_row
from shoaltest.keys import ensure_key

TEST_HUB_CONFIG = HubConfig(
    heartbeat_timeout_s=4.0,  # agents in tests beat every 2 s
    backoff_initial_s=0.1,
    backoff_max_s=1.0,
    open_timeout_s=5.0,
    request_timeout_s=20.0,
    lock_poll_s=0.3,
    refresh_s=2.0,
)


def fast_hub_config(**changes: Any) -> HubConfig:
    return dataclasses.replace(TEST_HUB_CONFIG, lock_key=random.randrange(1, 2**62), **changes)


async def until(
    predicate: Callable[[], Awaitable[Any]], within: float = 10.0, every: float = 0.05
) -> Any:
    """The first truthy value of `predicate()`, polled until `within` seconds passed."""
    deadline = time.monotonic() + within
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {within} s (last value {value!r})")
        await asyncio.sleep(every)


async def started_hub(dsn: str, config: HubConfig) -> Hub:
    """A hub that syncs nodes as `shoal serve`'s does: with the services' desired state."""
    from core.services import deployment_actions

    hub = Hub(
        config,
        desired_state=deployment_actions.desired_specs,
        plugins=deployment_actions.plugin_infos,
    )
    await hub.start(dsn)
    return hub


@pytest.fixture
async def hub(db: str) -> AsyncIterator[Hub]:
    # The key first: the hub's tasks inherit the runtime as it is when they start.
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    hub = await started_hub(db, fast_hub_config())
    runtime.install(hub=hub)

    async def leading() -> bool:
        return hub.is_leader

    await until(leading, 10)
    yield hub
    await hub.stop()


@pytest.fixture
async def hub_env(db: str) -> tuple[Actor, int]:
    from core.services import environments

    ensure_key()
    admin = Actor(id=None, username="hub-admin", is_admin=True)
    env = await environments.create_environment(
        admin, environments.EnvironmentInput(name="qa", base_domain="qa.example.test")
    )
    return admin, env.id


async def add_node_with_agent(
    agent_factory: Callable[..., Any], actor: Actor, environment_id: int, **agent_kwargs: Any
) -> tuple[Any, Any]:
    """Add a node for a fresh agent's port, then start that agent with the node's token."""
    from core.services import nodes

    process = agent_factory(start=False, **agent_kwargs)
    node = await nodes.add_node(
        actor, environment_id, nodes.NodeInput(host="127.0.0.1", port=process.port)
    )
    process.token = node.token
    await asyncio.to_thread(process.start)
    return node, process


async def node_row(node_id: int) -> dict[str, Any]:
    from core.tables import Node

    return await Node.select().where(Node.id == node_id).first().run()


async def wait_status(node_id: int, status: str, within: float = 15.0) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        row = await node_row(node_id)
        return row if row and row["status"] == status else None

    return await until(reached, within)


async def deployment_on(node_id: int, environment_id: int, status: str = "running") -> int:
    """Rows for one deployment placed on `node_id` (project, pipeline version, deployment)."""
    from core.tables import Deployment, PipelineVersion, Project

    name = f"p{random.randrange(10**9)}"
    project = await insert_row(Project(name=name))
    version_id = await insert_row(PipelineVersion(project=project, version=1))
    return await insert_row(
        Deployment(
            project=project,
            environment=environment_id,
            node=node_id,
            pipeline_version=version_id,
            name=name,
            status=status,
        )
    )
