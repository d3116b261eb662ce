"""Saving, versions, conflicts, restore, diff and files against the real database."""

import asyncio
import copy

import pytest

from core.actor import Actor
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.services import audit, pipeline_files, pipelines, plugins
from core.services.catalog_usage import pipelines_using
from core.services.plugins import PluginInput
from core.tables import PipelineVersion


async def versions(shop) -> list[int]:
    return [v.version for v in await pipelines.list_versions(shop.project.id)]


async def test_save_stores_a_new_version_with_who_when_and_frozen_tags(shop, graph_for):
    saved = await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "first")
    assert (saved.version, saved.message, saved.created_by) == (1, "first", "root")
    setup = saved.nodes[1]["config"]
    assert (setup["image"], setup["tag"]) == ("shoal/shell", "1.0")
    assert setup["registry_id"] == (await plugins.get_plugin(shop.shell)).registry_id
    assert saved.edges == [{"from": "db", "to": "setup"}, {"from": "setup", "to": "web"}]
    again = await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "", 1)
    assert again.version == 2
    assert (await pipelines.get_version(shop.project.id)).version == 2
    assert (await pipelines.get_version(shop.project.id, 1)).message == "first"
    listed = await pipelines.list_versions(shop.project.id)
    assert [(v.version, v.created_by, v.nodes) for v in listed] == [(2, "root", 3), (1, "root", 3)]
    events = await audit.list_events(target_type="pipeline")
    assert [(e.action, e.outcome, e.detail) for e in events] == [
        ("pipeline.save", "ok", "version 2"),
        ("pipeline.save", "ok", "version 1: first"),
    ]
    # the catalog's "still in use" check reads exactly what we store
    assert await pipelines_using("plugin", shop.shell) == ["project shop (pipeline v2)"]
    assert await pipelines_using("service", shop.web) == ["project shop (pipeline v2)"]


async def test_an_invalid_graph_is_refused_whole_with_issues_on_nodes(shop, graph_for):
    graph = graph_for(shop)
    graph["edges"].append({"from": "web", "to": "db"})
    graph["nodes"][1]["config"]["params"] = {}
    with pytest.raises(pipelines.PipelineInvalid) as caught:
        await pipelines.save_pipeline(shop.admin, shop.project.id, graph)
    issues = {(i.node, i.message) for i in caught.value.issues}
    assert ("setup", "Parameter (root): 'script' is a required property") in issues
    assert ("db", "'db' is in a cycle: db → setup → web → db.") in issues
    assert caught.value.detail.startswith("The pipeline was not saved: node '")
    assert await versions(shop) == []
    (event,) = await audit.list_events(target_type="pipeline")
    assert event.outcome == "refused"


async def test_unknown_secret_and_service_are_refused(shop, graph_for):
    graph = graph_for(shop)
    graph["nodes"][2]["config"]["env"]["X"] = "${{ secrets.MISSING }}"
    graph["nodes"][0]["config"]["service_id"] = 999
    with pytest.raises(pipelines.PipelineInvalid) as caught:
        await pipelines.save_pipeline(shop.admin, shop.project.id, graph)
    assert {(i.node, i.message) for i in caught.value.issues} == {
        ("db", "Unknown service (id 999); it was deleted?"),
        ("web", "env.X: ${{ secrets.MISSING }} names no secret of this project."),
    }


async def test_a_stale_base_version_is_a_clear_conflict(shop, graph_for):
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "", 0)
    await pipelines.save_pipeline(shop.other_admin, shop.project.id, graph_for(shop), "ops", 1)
    with pytest.raises(Conflict, match=r"You edited version 1, but ops saved version 2 since"):
        await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "mine", 1)
    assert await versions(shop) == [2, 1]


async def test_two_admins_saving_at_once_never_overwrite(shop, graph_for):
    results = await asyncio.gather(
        *[
            pipelines.save_pipeline(actor, shop.project.id, graph_for(shop), actor.username, 0)
            for actor in (shop.admin, shop.other_admin)
        ],
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "VersionView"]
    assert await versions(shop) == [1]


async def test_tags_frozen_at_save_and_restore_keeps_the_old_ones(shop, graph_for):
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop))
    changed = PluginInput(
        name="shell",
        registry_id=(await plugins.get_plugin(shop.shell)).registry_id,
        image="shoal/shell2",
        tag="2.0",
        param_schema={},
    )
    await plugins.update_plugin(shop.admin, shop.shell, changed)
    v2 = await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop))
    assert v2.nodes[1]["config"]["tag"] == "2.0"
    v1 = await pipelines.get_version(shop.project.id, 1)
    assert v1.nodes[1]["config"]["tag"] == "1.0"  # untouched by the catalog change
    restored = await pipelines.restore_version(shop.admin, shop.project.id, 1, base_version=2)
    assert restored.version == 3 and restored.message == "Restored from version 1"
    assert restored.nodes[1]["config"]["image"] == "shoal/shell"
    assert restored.nodes[1]["config"]["tag"] == "1.0"
    with pytest.raises(Conflict):
        await pipelines.restore_version(shop.admin, shop.project.id, 1, base_version=2)


async def test_diff_names_nodes_edges_and_settings(shop, graph_for):
    first = graph_for(shop)
    await pipelines.save_pipeline(shop.admin, shop.project.id, first)
    second = copy.deepcopy(first)
    second["nodes"][2]["config"]["port"] = 9090
    second["nodes"][2]["config"]["env"].pop("DB_PASSWORD")
    second["nodes"].append({"id": "wait", "kind": "plugin", "config": {"plugin_id": shop.wait}})
    second["edges"] = [{"from": "db", "to": "setup"}, {"from": "web", "to": "wait"}]
    second["nodes"][2]["config"]["env"]["DATABASE_URL"] = "postgres://db/app"
    second["edges"].append({"from": "setup", "to": "web"})
    await pipelines.save_pipeline(shop.admin, shop.project.id, second)
    diff = await pipelines.diff_versions(shop.project.id, 1, 2)
    assert diff.nodes_added == ["wait"] and diff.nodes_removed == []
    assert diff.edges_added == ["web → wait"] and diff.edges_removed == []
    (web,) = diff.nodes_changed
    assert web.id == "web"
    assert web.changes == [
        'env.DATABASE_URL: "${{ nodes.setup.outputs.url }}" → "postgres://db/app"',
        'env.DB_PASSWORD: "${{ secrets.DB_PASSWORD }}" → (unset)',
        "port: 8081 → 9090",
    ]
    with pytest.raises(NotFound, match="No version 7"):
        await pipelines.diff_versions(shop.project.id, 1, 7)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
async def test_export_then_import_round_trips(shop, graph_for, fmt):
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "orig")
    name, text = await pipeline_files.export_pipeline(shop.project.id, None, fmt)
    assert name == f"shop-pipeline-v1.{fmt}" and "shoal_pipeline" in text
    imported = await pipeline_files.import_pipeline(shop.admin, shop.project.id, text, 1)
    assert imported.version == 2 and imported.message == "Imported from shop v1"
    assert imported.graph == (await pipelines.get_version(shop.project.id, 1)).graph


async def test_import_maps_catalog_ids_by_name_and_refuses_junk(shop, graph_for):
    text = (
        "shoal_pipeline: 1\ncatalog: {services: {'77': web}, plugins: {}}\n"
        "nodes: [{id: front, kind: service, config: {service_id: 77}}]\n"
    )
    imported = await pipeline_files.import_pipeline(shop.admin, shop.project.id, text, None)
    assert imported.nodes == [
        {"id": "front", "kind": "service", "config": {"service_id": shop.web}}
    ]
    for junk, message in [
        ("nodes: [", "neither valid JSON nor YAML"),
        ("[1, 2]", "not a Shoal pipeline file"),
        ("shoal_pipeline: 9\nnodes: []", "format 9 is not supported"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            await pipeline_files.import_pipeline(shop.admin, shop.project.id, junk, None)
    assert await versions(shop) == [1]


async def test_only_admins_save_and_empty_projects_say_so(shop, graph_for):
    user = Actor(id=None, username="qa", is_admin=False)
    with pytest.raises(Forbidden):
        await pipelines.save_pipeline(user, shop.project.id, graph_for(shop))
    with pytest.raises(NotFound, match="no pipeline yet"):
        await pipelines.get_version(shop.project.id)
    with pytest.raises(InvalidInput, match="at most 500"):
        await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "x" * 501)
    assert await PipelineVersion.count().run() == 0
