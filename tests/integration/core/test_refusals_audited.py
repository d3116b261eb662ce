"""A change refused before it started (not an admin, no such object) leaves an audit entry with
outcome "refused", like a change refused halfway does."""

from collections.abc import Awaitable

import pytest

from core.actor import Actor
from core.errors import Forbidden, InvalidInput, NotFound
from core.services import (
    accounts,
    api_tokens,
    catalog,
    environments,
    nodes,
    pipelines,
    plugins,
    projects,
    registries,
    secrets,
    teams,
)
from core.services.projects import ProjectInput
from core.tables import AuditEvent

MISSING = 2**31 - 1


@pytest.fixture
async def people(admin):
    boss = Actor(admin.id, "admin", True)
    quinn = await accounts.create_user(boss, username="quinn", password="quinn-password-1")
    return boss, Actor(quinn.id, "quinn", False)


def attempts_of(actor: Actor, project_id: int) -> list[tuple[str, Awaitable[object]]]:
    environment = environments.EnvironmentInput(name="qa", base_domain="qa.test")
    registry = registries.RegistryInput(name="r", url="https://r.example")
    service = catalog.ServiceInput(name="web", registry_id=1, image="shop/web")
    plugin = plugins.PluginInput(name="seed", registry_id=1, image="shop/seed", tag="1")
    return [
        ("project.update", projects.update_project(actor, project_id, ProjectInput(name="x"))),
        ("project.delete", projects.delete_project(actor, project_id)),
        ("environment.create", environments.create_environment(actor, environment)),
        ("team.create", teams.create_team(actor, "qa")),
        ("registry.create", registries.create_registry(actor, registry)),
        ("secret.set", secrets.set_secret(actor, project_id, "TOKEN", "x")),
        ("pipeline.save", pipelines.save_pipeline(actor, project_id, {"nodes": []})),
        ("node.create", nodes.add_node(actor, MISSING, nodes.NodeInput(host="10.0.0.1"))),
        ("service.create", catalog.create_service(actor, service)),
        ("plugin.create", plugins.create_plugin(actor, plugin)),
        ("user.update", accounts.update_user(actor, MISSING, is_admin=True)),
    ]


async def test_a_non_admin_refused_at_the_door_is_audited(people):
    boss, quinn = people
    project = await projects.create_project(boss, ProjectInput(name="shop"))
    for action, attempt in attempts_of(quinn, project.id):
        with pytest.raises(Forbidden):
            await attempt
        rows = await AuditEvent.select().where(AuditEvent.action == action).run()
        assert [(r["actor"], r["outcome"]) for r in rows] == [(quinn.id, "refused")], action


async def test_a_change_to_something_missing_is_audited_as_refused(people):
    boss, quinn = people
    attempts = [
        ("team.delete", teams.delete_team(boss, MISSING)),
        ("grant.revoke", teams.revoke_grant(boss, MISSING)),
        ("project.delete", projects.delete_project(boss, MISSING)),
        ("environment.delete", environments.delete_environment(boss, MISSING)),
        ("node.revoke", nodes.revoke(boss, MISSING)),
        ("registry.delete", registries.delete_registry(boss, MISSING)),
        ("secret.delete", secrets.delete_secret(boss, MISSING, "TOKEN")),
        ("api_token.revoke", api_tokens.revoke_token(quinn, MISSING)),
        ("service.delete", catalog.delete_service(boss, MISSING)),
        (
            "plugin.update",
            plugins.update_plugin(
                boss,
                MISSING,
                plugins.PluginInput(name="seed", registry_id=1, image="shop/seed", tag="1"),
            ),
        ),
        ("user.update", accounts.update_user(boss, MISSING, is_admin=False)),
    ]
    for action, attempt in attempts:
        with pytest.raises(NotFound):
            await attempt
        (row,) = await AuditEvent.select().where(AuditEvent.action == action).run()
        assert row["outcome"] == "refused" and row["detail"].startswith("No such"), action


async def test_a_wrong_current_password_is_an_audited_refusal(people):
    _, quinn = people
    with pytest.raises(InvalidInput, match="current password"):
        await accounts.change_own_password(quinn, "not-my-password", "new-password-123")
    (row,) = await AuditEvent.select().where(AuditEvent.action == "user.change_password").run()
    assert (row["actor"], row["outcome"]) == (quinn.id, "refused")
