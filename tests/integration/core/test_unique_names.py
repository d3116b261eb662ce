"""A name already taken, on create and on rename: a 409 Conflict that names the field."""

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.errors import Conflict
from core.services import accounts, catalog, environments, plugins, projects, registries, teams

ADMIN = Actor.system("tests")


async def registry(name: str) -> int:
    made = await registries.create_registry(
        ADMIN, registries.RegistryInput(name=name, url="http://127.0.0.1:5999")
    )
    return made.id


async def each_kind() -> dict:
    """kind -> (create(name) -> id, rename(id, name))."""
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    shared_registry = await registry("shared")

    def service(name: str) -> catalog.ServiceInput:
        return catalog.ServiceInput(name=name, registry_id=shared_registry, image="a", tag="1")

    def plugin(name: str) -> plugins.PluginInput:
        return plugins.PluginInput(name=name, registry_id=shared_registry, image="p", tag="1")

    def environment(name: str) -> environments.EnvironmentInput:
        return environments.EnvironmentInput(name=name, base_domain="qa.test")

    async def new_user(name: str) -> int:
        return (await accounts.create_user(ADMIN, username=name, password="long-password-1")).id

    return {
        "A project": (
            lambda n: projects.create_project(ADMIN, projects.ProjectInput(name=n)),
            lambda i, n: projects.update_project(ADMIN, i, projects.ProjectInput(name=n)),
        ),
        "An environment": (
            lambda n: environments.create_environment(ADMIN, environment(n)),
            lambda i, n: environments.update_environment(ADMIN, i, environment(n)),
        ),
        "A service": (
            lambda n: catalog.create_service(ADMIN, service(n)),
            lambda i, n: catalog.update_service(ADMIN, i, service(n)),
        ),
        "A plugin": (
            lambda n: plugins.create_plugin(ADMIN, plugin(n)),
            lambda i, n: plugins.update_plugin(ADMIN, i, plugin(n)),
        ),
        "A registry": (
            lambda n: registries.create_registry(
                ADMIN, registries.RegistryInput(name=n, url="http://127.0.0.1:5999")
            ),
            lambda i, n: registries.update_registry(
                ADMIN, i, registries.RegistryInput(name=n, url="http://127.0.0.1:5999")
            ),
        ),
        "A team": (
            lambda n: teams.create_team(ADMIN, n),
            lambda i, n: teams.rename_team(ADMIN, i, n),
        ),
        "A user": (new_user, None),
    }


async def test_taken_names_are_refused_on_create_and_on_rename(db):
    for kind, (create, rename) in (await each_kind()).items():
        first = await create("alpha")
        first_id = first if isinstance(first, int) else first.id
        with pytest.raises(Conflict) as refused:
            await create("alpha")
        field = "username" if kind == "A user" else "name"
        assert refused.value.detail == f"{kind} named 'alpha' already exists.", kind
        assert refused.value.field == field and refused.value.status_code == 409
        if rename is None:
            continue
        await create("beta")
        with pytest.raises(Conflict, match=f"^{kind} named 'beta' already exists"):
            await rename(first_id, "beta")
        renamed = await rename(first_id, "gamma")  # a free name still goes through
        assert renamed.name == "gamma", kind
