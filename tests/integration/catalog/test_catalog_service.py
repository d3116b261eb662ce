"""Services and plugins: validation, tag listing through the real registry, in-use refusals."""

import math

import pytest

from core.actor import Actor
from core.errors import Conflict, InvalidInput
from core.services import audit, catalog, plugins
from core.services.catalog import HealthCheck, ServiceInput
from core.services.plugins import PluginInput
from core.tables import PipelineVersion, Project
from shoaltest.db import insert_row

pytestmark = pytest.mark.docker


def service(registry_id: int, **changes) -> ServiceInput:
    fields = {"name": "web", "registry_id": registry_id, "image": "shoal/app", "tag": "latest"}
    return ServiceInput(**{**fields, **changes})


def plugin(registry_id: int, **changes) -> PluginInput:
    fields = {"name": "migrate", "registry_id": registry_id, "image": "shoal/app", "tag": "v1"}
    return PluginInput(**{**fields, **changes})


async def use_in_pipeline(kind: str, item_id: int) -> None:
    project_id = await insert_row(Project(name="shop"))
    key = f"{kind}_id"
    graph = {"nodes": [{"id": "n1", "kind": kind, "config": {key: item_id}}], "edges": []}
    await PipelineVersion.insert(PipelineVersion(project=project_id, version=1, graph=graph)).run()


async def test_selectable_service_lists_matching_tags_highest_first(
    catalog_admin, private_registry
):
    made = await catalog.create_service(
        catalog_admin,
        service(private_registry.id, tag_mode="selectable", tag_pattern="1.2.*", port=8080),
    )
    assert made.tag == "" and made.tag_pattern == "1.2.*" and made.registry_name == "local"
    assert (await catalog.service_tags(made.id)).tags == ["1.2.10", "1.2.3"]


async def test_pinned_service_offers_only_its_tag(catalog_admin, private_registry):
    made = await catalog.create_service(catalog_admin, service(private_registry.id, tag="v1.9.2"))
    assert (await catalog.service_tags(made.id)).tags == ["v1.9.2"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cpu": 0}, "cpu"),
        ({"cpu": -1}, "cpu"),
        ({"cpu": 1e9}, "cpu"),
        ({"cpu": math.nan}, "cpu"),
        ({"memory_mb": 0}, "memory_mb"),
        ({"memory_mb": -5}, "memory_mb"),
        ({"memory_mb": 10**12}, "memory_mb"),
        ({"tag_mode": "selectable", "tag_pattern": "v[1"}, "tag_pattern"),
        ({"tag_mode": "selectable", "tag_pattern": ""}, "tag_pattern"),
        ({"tag_mode": "latest"}, "tag_mode"),
        ({"tag": "a/b"}, "tag"),
        ({"image": "Shoal/App"}, "image"),
        ({"image": "app:1.0"}, "image"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"env": {"1BAD": "x"}}, "env"),
        ({"health_check": HealthCheck(kind="http", path="health")}, "health_check"),
        ({"health_check": HealthCheck(kind="command")}, "health_check"),
        ({"name": "Not A Label"}, "name"),
        ({"cap_add": ["NET_ADMN"]}, "cap_add"),
        ({"cap_add": ["ALL"]}, "cap_add"),
        ({"cap_drop": ["cap_nope"]}, "cap_drop"),
        ({"run_as": "root; rm -rf /"}, "run_as"),
        ({"run_as": "99999999999"}, "run_as"),
    ],
)
async def test_bad_service_input_is_refused_with_its_field(
    catalog_admin, private_registry, changes, field
):
    with pytest.raises(InvalidInput) as caught:
        await catalog.create_service(catalog_admin, service(private_registry.id, **changes))
    assert caught.value.field == field
    assert await catalog.list_services(catalog_admin) == []


async def test_unknown_registry_is_refused(catalog_admin):
    with pytest.raises(InvalidInput, match="No such registry"):
        await catalog.create_service(catalog_admin, service(999))


async def test_service_round_trips_env_and_health_check(catalog_admin, private_registry):
    made = await catalog.create_service(
        catalog_admin,
        service(
            private_registry.id,
            env={"DB_URL": "${{ secrets.DB_URL }}"},
            health_check=HealthCheck(kind="http", path="/ready"),
            cpu=0.25,
            memory_mb=128,
        ),
    )
    again = await catalog.get_service(made.id, catalog_admin)
    assert again.env == {"DB_URL": "${{ secrets.DB_URL }}"}
    assert again.health_check == HealthCheck(kind="http", path="/ready")
    assert (again.cpu, again.memory_mb) == (0.25, 128)


async def test_service_container_settings_are_stored_canonical(catalog_admin, private_registry):
    made = await catalog.create_service(
        catalog_admin,
        service(
            private_registry.id,
            cap_add=["cap_net_admin", "SYS_PTRACE", "NET_ADMIN"],
            cap_drop=["ALL"],
            run_as=" 1000:1000 ",
        ),
    )
    again = await catalog.get_service(made.id, catalog_admin)
    assert again.cap_add == ["NET_ADMIN", "SYS_PTRACE"] and again.cap_drop == ["ALL"]
    assert again.run_as == "1000:1000"


async def test_service_env_values_are_for_admins_only(catalog_admin, private_registry):
    made = await catalog.create_service(
        catalog_admin, service(private_registry.id, env={"DB_PASSWORD": "hunter2-literal"})
    )
    user = Actor(id=None, username="qa")
    for seen in (await catalog.get_service(made.id, user), *await catalog.list_services(user)):
        assert seen.env == {"DB_PASSWORD": ""} and seen.env_hidden
    admin_view = await catalog.get_service(made.id, catalog_admin)
    assert admin_view.env == {"DB_PASSWORD": "hunter2-literal"} and not admin_view.env_hidden


async def test_service_in_use_cannot_be_deleted(catalog_admin, private_registry):
    made = await catalog.create_service(catalog_admin, service(private_registry.id))
    await use_in_pipeline("service", made.id)
    with pytest.raises(Conflict, match=r"used by project shop \(pipeline v1\)"):
        await catalog.delete_service(catalog_admin, made.id)
    other = await catalog.create_service(catalog_admin, service(private_registry.id, name="other"))
    await catalog.delete_service(catalog_admin, other.id)
    assert [s.name for s in await catalog.list_services(catalog_admin)] == ["web"]


SCHEMA = {
    "type": "object",
    "properties": {"db": {"type": "string"}, "retries": {"type": "integer", "minimum": 0}},
    "required": ["db"],
}


async def test_plugin_schema_is_stored_and_checks_params(catalog_admin, private_registry):
    made = await plugins.create_plugin(
        catalog_admin, plugin(private_registry.id, param_schema=SCHEMA, join_network=True)
    )
    assert made.timeout_s == 300 and made.join_network and made.param_schema == SCHEMA
    assert plugins.check_params(made.param_schema, {"db": "x", "retries": 2}) == []
    problems = plugins.check_params(made.param_schema, {"retries": -1})
    assert any("'db' is a required property" in p for p in problems)
    assert any(p.startswith("retries:") for p in problems)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "object", "properties": {"a": {"type": "strng"}}}, "Invalid JSON Schema"),
        ({"type": "strng"}, 'must be "object"'),
        ([1, 2], "must be a JSON object"),
        ({"type": "object", "properties": {"a": {"minimum": "zero"}}}, "properties/a/minimum"),
        ({"type": "array"}, 'must be "object"'),
        ({"type": "object", "required": "db"}, "Invalid JSON Schema"),
    ],
)
async def test_invalid_schemas_are_refused(catalog_admin, private_registry, schema, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        await plugins.create_plugin(catalog_admin, plugin(private_registry.id, param_schema=schema))
    assert caught.value.field == "param_schema"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": 10**7}, "timeout_s"),
        ({"cpu": 0}, "cpu"),
        ({"memory_mb": -1}, "memory_mb"),
        ({"tag": ""}, "tag"),
    ],
)
async def test_bad_plugin_input_is_refused(catalog_admin, private_registry, changes, field):
    with pytest.raises(InvalidInput) as caught:
        await plugins.create_plugin(catalog_admin, plugin(private_registry.id, **changes))
    assert caught.value.field == field


async def test_plugin_in_use_cannot_be_deleted_and_is_audited(catalog_admin, private_registry):
    made = await plugins.create_plugin(catalog_admin, plugin(private_registry.id))
    await use_in_pipeline("plugin", made.id)
    with pytest.raises(Conflict, match="project shop"):
        await plugins.delete_plugin(catalog_admin, made.id)
    events = await audit.list_events(target_type="plugin")
    assert [(e.action, e.outcome) for e in events] == [
        ("plugin.delete", "refused"),
        ("plugin.create", "ok"),
    ]
