"""The deployment page's "Seeded data" section (issue 24): a step whose plugin takes a dataset
and offers `reset` is listed with its dataset; full access to a running deployment gets the
"Reset to the seeded state" button, read access does not; a reset of a deployment that is not
running comes back with the reason, from the page and from the API. The reset itself, through
a real agent, is in test_datasets_stack.py."""

from __future__ import annotations

from core.services import lifecycle, pipelines, teams
from core.tables import Plugin
from shoaltest.db import insert_row
from shoaltest.web import api_client

SCHEMA = {
    "type": "object",
    "properties": {"dataset": {"type": "string"}},
    "x-dataset-params": ["dataset"],
    "x-data-actions": ["reset"],
}


async def seeded_deployment(world):
    plugin = await insert_row(
        Plugin(name="postgres-restore", registry=1, image="p/restore", tag="1", param_schema=SCHEMA)
    )
    seed = {"plugin_id": plugin, "params": {"dataset": "shop"}}
    graph = {"nodes": [{"id": "appdb", "kind": "plugin", "config": seed}], "edges": []}
    await pipelines.save_pipeline(world.admin, world.project_id, {**graph, "layout": {}}, "seed")
    return await world.deploy("pr-7")


async def test_the_section_the_button_and_a_refused_reset(world, client, web_app):
    dep = await seeded_deployment(world)
    await client.login("admin", "admin-password-1")
    page = await client.get(f"/deployments/{dep.id}")
    assert page.status_code == 200
    assert "seeds from dataset" in page.text and "Reset to the seeded state" not in page.text

    refused = await client.form(f"/deployments/{dep.id}/databases/appdb/reset-seed", {})
    assert refused.status_code == 303
    shown = await client.get(refused.headers["location"])
    assert "not running" in shown.text

    async with await api_client(web_app, world.admin) as http:
        answer = await http.post(f"/api/v1/deployments/{dep.id}/databases/appdb/reset-seed")
        assert answer.status_code == 409 and "not running" in answer.json()["detail"]
        unknown = await http.post(f"/api/v1/deployments/{dep.id}/databases/db/reset-seed")
        assert unknown.status_code == 404

    assert await lifecycle.move(dep.id, "deploying") and await lifecycle.move(dep.id, "running")
    page = await client.get(f"/deployments/{dep.id}")
    assert "Reset to the seeded state" in page.text

    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    reader = type(client)(transport=client._transport, base_url="http://testserver")
    async with reader:
        await reader.login("quinn", "quinn-password-1")
        seen = await reader.get(f"/deployments/{dep.id}")
        assert seen.status_code == 200 and "seeds from dataset" in seen.text
        assert "Reset to the seeded state" not in seen.text
