"""A small catalog on the real database: two admins, a project with a secret, services, plugins."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.services import catalog, plugins, registries, secrets
from core.services.catalog import ServiceInput
from core.services.plugins import PluginInput
from core.services.projects import ProjectInput, ProjectView, create_project
from core.tables import Registry, User
from shoaltest.db import insert_row

SHELL_SCHEMA = {
    "type": "object",
    "properties": {
        "script": {"type": "string", "minLength": 1, "description": "Script run on apply"},
        "shell": {"type": "string", "enum": ["sh", "bash"], "default": "sh"},
        "retries": {"type": "integer", "default": 3},
        "verbose": {"type": "boolean"},
    },
    "required": ["script"],
    "additionalProperties": False,
    "x-outputs": ["url"],
}


@dataclass
class Shop:
    admin: Actor
    other_admin: Actor
    project: ProjectView
    postgres: int
    web: int
    shell: int
    wait: int


async def _user(name: str) -> Actor:
    user_id = await insert_row(User(username=name, password_hash="x", is_admin=True))
    return Actor(id=user_id, username=name, is_admin=True)


@pytest.fixture
async def shop(db: str) -> Shop:
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    admin, other = await _user("root"), await _user("ops")
    await registries.ensure_default_registry()
    hub = (await Registry.select(Registry.id).first().run())["id"]
    project = await create_project(admin, ProjectInput(name="shop", cpu=2.0, memory_mb=2048))
    await secrets.set_secret(admin, project.id, "DB_PASSWORD", "s3cret")

    async def service(name: str, port: int | None) -> int:
        data = ServiceInput(name=name, registry_id=hub, image=f"library/{name}", tag="1", port=port)
        return (await catalog.create_service(admin, data)).id

    async def plugin(name: str, tag: str, schema: dict) -> int:
        data = PluginInput(
            name=name, registry_id=hub, image=f"shoal/{name}", tag=tag, param_schema=schema
        )
        return (await plugins.create_plugin(admin, data)).id

    return Shop(
        admin=admin,
        other_admin=other,
        project=project,
        postgres=await service("postgres", 5432),
        web=await service("web", 8080),
        shell=await plugin("shell", "1.0", SHELL_SCHEMA),
        wait=await plugin("http-wait", "2.1", {}),
    )


@pytest.fixture
def graph_for():
    return make_graph


def make_graph(shop: Shop) -> dict:
    """db → setup → web, with a reference to the setup plugin's output and a secret."""
    return {
        "nodes": [
            {"id": "db", "kind": "service", "config": {"service_id": shop.postgres}},
            {
                "id": "setup",
                "kind": "plugin",
                "config": {
                    "plugin_id": shop.shell,
                    "params": {"script": "createdb app", "shell": "sh"},
                },
            },
            {
                "id": "web",
                "kind": "service",
                "config": {
                    "service_id": shop.web,
                    "env": {
                        "DATABASE_URL": "${{ nodes.setup.outputs.url }}",
                        "DB_PASSWORD": "${{ secrets.DB_PASSWORD }}",
                    },
                    "port": 8081,
                },
            },
        ],
        "edges": [{"from": "db", "to": "setup"}, {"from": "setup", "to": "web"}],
        "layout": {"db": {"x": 0.0, "y": 0.0}, "setup": {"x": 200.0, "y": 0.0}},
    }
