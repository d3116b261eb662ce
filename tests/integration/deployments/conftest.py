"""A small world for deployment tests: an environment with one online node, a project whose
pipeline has a pinned and a selectable service, and a real SAQ queue on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.jobs import make_queue
from core.services import accounts, teams
from core.services.deployments import DeploymentInput, DeploymentView, create_deployment
from core.settings import Settings
from core.tables import Environment, Node, PipelineVersion, Project, Registry, Service
from shoaltest.db import insert_row


@dataclass
class World:
    admin: Actor
    user: Actor
    env_id: int
    node_id: int
    project_id: int
    team_id: int

    def request(self, name: str = "pr-1", **extra) -> DeploymentInput:
        """A create request for the world's project and environment (tag v2 unless given)."""
        return DeploymentInput(
            project_id=self.project_id,
            environment_id=self.env_id,
            name=name,
            tags=extra.pop("tags", {"web": "v2"}),
            **extra,
        )

    async def deploy(self, name: str, **extra) -> DeploymentView:
        """`request`, created by the admin."""
        return await create_deployment(self.admin, self.request(name, **extra))


GRAPH = {
    "nodes": [
        {"id": "api", "kind": "service", "config": {"service_id": 0}},
        {"id": "web", "kind": "service", "config": {"service_id": 0}},
    ],
    "edges": [{"from": "api", "to": "web"}],
    "layout": {},
}


@pytest.fixture
async def queue(database: str) -> AsyncIterator[object]:
    q = make_queue(database, 2)
    await q.connect()
    runtime.install(queue=q)
    yield q
    await q.disconnect()


async def add_node(env_id: int, name: str, cpus: float = 4, memory_mb: int = 8192) -> int:
    return await insert_row(
        Node(
            environment=env_id,
            name=name,
            host="127.0.0.1",
            port=5000 + int(name[1:]),
            status="online",
            capacity={"cpus": cpus, "memory_mb": memory_mb},
            usage={"cpu_busy_percent": 0, "memory_available_mb": memory_mb},
        )
    )


@pytest.fixture
async def world(db: str, queue: object) -> World:
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    runtime.install(settings=Settings())  # URLs on the default ingress bind, whatever ran before
    admin_view = await accounts.create_user(
        Actor.system("tests"), username="admin", password="admin-password-1", is_admin=True
    )
    admin = Actor(admin_view.id, "admin", True)
    user_view = await accounts.create_user(admin, username="quinn", password="quinn-password-1")
    user = Actor(user_view.id, "quinn", False)
    env = await insert_row(Environment(name="qa", base_domain="qa.test"))
    node_id = await add_node(env, "n1")
    registry = await insert_row(Registry(name="local", url="http://127.0.0.1:5999"))
    pinned = await insert_row(
        Service(
            name="api",
            registry=registry,
            image="shop/api",
            tag_mode="pinned",
            tag="1.0",
            port=8080,
        )
    )
    selectable = await insert_row(
        Service(
            name="web",
            registry=registry,
            image="shop/web",
            tag_mode="selectable",
            tag_pattern="v*",
            port=80,
        )
    )
    project = await insert_row(Project(name="shop", cpu=1.0, memory_mb=1024))
    graph = {
        **GRAPH,
        "nodes": [
            {"id": "api", "kind": "service", "config": {"service_id": pinned}},
            {"id": "web", "kind": "service", "config": {"service_id": selectable}},
        ],
    }
    await PipelineVersion.insert(PipelineVersion(project=project, version=1, graph=graph)).run()
    team = await teams.create_team(admin, "qa")
    await teams.add_member(admin, team.id, user.id or 0)
    return World(admin, user, env, node_id, project, team.id)
