"""A world for preview tests: an environment with one online node, a project whose pipeline has
a pinned and a selectable service, a real SAQ queue on the test database, and a rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.jobs import make_queue
from core.services import accounts, preview_rules, teams
from core.settings import Settings
from core.tables import Environment, Node, PipelineVersion, Project, Registry, Service
from shoaltest.db import insert_row

SECRET = "It's a Secret to Everybody"  # GitHub's documented example secret


@dataclass
class PreviewWorld:
    admin: Actor
    user: Actor
    env_id: int
    node_id: int
    project_id: int
    team_id: int
    rule_id: int


@pytest.fixture
async def queue(database: str) -> AsyncIterator[object]:
    q = make_queue(database, 2)
    await q.connect()
    runtime.install(queue=q)
    yield q
    await q.disconnect()


def rule_input(env_id: int, **changes: object) -> preview_rules.RuleInput:
    values: dict = {
        "environment_id": env_id,
        "forge": "github",
        "repository": "Codertocat/Hello-World",
        "tag_templates": {"web": "pr-{number}"},
        "webhook_secret": SECRET,
        "api_token": "forge-token-1",
        **changes,
    }
    return preview_rules.RuleInput(**values)


@pytest.fixture
async def pworld(db: str, queue: object) -> PreviewWorld:
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    runtime.install(settings=Settings())
    admin_view = await accounts.create_user(
        Actor.system("tests"), username="admin", password="admin-password-1", is_admin=True
    )
    admin = Actor(admin_view.id, "admin", True)
    user_view = await accounts.create_user(admin, username="quinn", password="quinn-password-1")
    user = Actor(user_view.id, "quinn", False)
    env = await insert_row(Environment(name="qa", base_domain="qa.test"))
    node_id = await insert_row(
        Node(
            environment=env,
            name="n1",
            host="127.0.0.1",
            port=5001,
            status="online",
            capacity={"cpus": 4, "memory_mb": 8192},
            usage={"cpu_busy_percent": 0, "memory_available_mb": 8192},
        )
    )
    registry = await insert_row(Registry(name="local", url="http://127.0.0.1:5999"))
    pinned = await insert_row(
        Service(name="api", registry=registry, image="shop/api", tag="1.0", port=8080)
    )
    selectable = await insert_row(
        Service(
            name="web",
            registry=registry,
            image="shop/web",
            tag_mode="selectable",
            tag_pattern="*",
            port=80,
        )
    )
    project = await insert_row(Project(name="shop", cpu=1.0, memory_mb=1024))
    graph = {
        "nodes": [
            {"id": "api", "kind": "service", "config": {"service_id": pinned}},
            {"id": "web", "kind": "service", "config": {"service_id": selectable}},
        ],
        "edges": [],
        "layout": {},
    }
    await PipelineVersion.insert(PipelineVersion(project=project, version=1, graph=graph)).run()
    team = await teams.create_team(admin, "qa")
    await teams.add_member(admin, team.id, user.id or 0)
    rule = await preview_rules.create_rule(admin, project, rule_input(env))
    return PreviewWorld(admin, user, env, node_id, project, team.id, rule.id)
