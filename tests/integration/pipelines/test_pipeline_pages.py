"""The Pipeline pages over the real app: editor, config panel, versions, diff, files, access."""

import json
import re

from core.actor import Actor
from core.services import accounts, pipelines, teams
from shoaltest.web import ADMIN_PASSWORD

DATA = re.compile(r'<script type="application/json" id="pl-data">(.*?)</script>', re.S)


async def signed_in(client, admin):
    assert (await client.login(admin.username, ADMIN_PASSWORD)).status_code == 303
    return client


async def test_editor_embeds_graph_catalog_and_base_version(client, admin, shop, graph_for):
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "v1")
    await signed_in(client, admin)
    page = await client.page(f"/projects/{shop.project.id}/pipeline")
    assert page.status_code == 200
    data = json.loads(DATA.search(page.text).group(1))
    assert data["base_version"] == 1 and data["readonly"] is False
    assert [n["id"] for n in data["graph"]["nodes"]] == ["db", "setup", "web"]
    assert data["plugins"][str(shop.shell)]["name"] == "shell"
    assert 'data-kind="plugin"' in page.text and 'id="pl-save"' in page.text
    project_page = await client.page(f"/projects/{shop.project.id}")
    assert f'href="/projects/{shop.project.id}/pipeline"' in project_page.text


async def test_panel_renders_the_schema_form_and_reference_pickers(client, admin, shop, graph_for):
    await signed_in(client, admin)
    graph = graph_for(shop)
    graph["nodes"][1]["config"]["params"]["retries"] = 5
    answer = await client.post(
        f"/projects/{shop.project.id}/pipeline/panel",
        data={"graph": json.dumps(graph), "node": "setup"},
        headers={"X-CSRF-Token": client.csrf, "HX-Request": "true"},
    )
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert 'id="pp-script"' in html and 'data-path="config.params.script"' in html
    assert 'value="createdb app"' in html and 'value="5"' in html
    assert "Script run on apply" in html  # the description
    assert "(default: sh)" in html and 'value="&#34;bash&#34;"' in html  # enum with default
    assert "${{ secrets.DB_PASSWORD }}" in html and "${{ deployment.name }}" in html
    assert "${{ nodes.db.outputs" not in html  # a service has no outputs
    assert "${{ urls.web }}" in html
    web = await client.post(
        f"/projects/{shop.project.id}/pipeline/panel",
        data={"graph": json.dumps(graph), "node": "web"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert 'id="ps-port"' in web.text and 'value="8081"' in web.text
    assert "DB_PASSWORD=${{ secrets.DB_PASSWORD }}" in web.text
    assert "${{ nodes.setup.outputs.KEY }}" in web.text
    graph["nodes"].append(
        {"id": "wait", "kind": "plugin", "config": {"plugin_id": shop.wait, "params": {"a": 1}}}
    )
    free = await client.post(
        f"/projects/{shop.project.id}/pipeline/panel",
        data={"graph": json.dumps(graph), "node": "wait"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert 'id="pp-all"' in free.text and "&#34;a&#34;: 1" in free.text


async def test_versions_view_diff_restore_export_import(client, admin, shop, graph_for):
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop), "first")
    changed = graph_for(shop)
    changed["nodes"][2]["config"]["port"] = 9000
    await pipelines.save_pipeline(shop.admin, shop.project.id, changed, "port 9000")
    await signed_in(client, admin)
    base = f"/projects/{shop.project.id}/pipeline"
    listed = (await client.get(f"{base}/versions")).text
    assert "port 9000" in listed and "by root" in listed and f"{base}/diff?from=1&to=2" in listed
    view = await client.page(f"{base}/versions/1")
    assert view.status_code == 200 and json.loads(DATA.search(view.text).group(1))["readonly"]
    diff = (await client.get(f"{base}/diff", params={"from": 1, "to": 2})).text
    assert "port: 8081 → 9000" in diff
    restored = await client.form(f"{base}/versions/1/restore", {"base_version": "2"})
    assert restored.status_code == 303
    assert (await pipelines.get_version(shop.project.id)).message == "Restored from version 1"
    stale = await client.form(f"{base}/versions/1/restore", {"base_version": "2"})
    assert stale.status_code == 303 and "shoal_flash" in stale.headers.get("set-cookie", "")
    assert (await pipelines.latest_number(shop.project.id)) == 3

    exported = await client.get(f"{base}/export", params={"format": "yaml", "version": 2})
    assert exported.headers["content-disposition"] == (
        'attachment; filename="shop-pipeline-v2.yaml"'
    )
    assert "port: 9000" in exported.text
    imported = await client.post(
        f"{base}/import",
        data={"csrf_token": client.csrf, "base_version": "3"},
        files={"file": ("p.yaml", exported.content, "application/yaml")},
    )
    assert imported.status_code == 303
    latest = await pipelines.get_version(shop.project.id)
    assert (latest.version, latest.message) == (4, "Imported from shop v2")
    assert latest.nodes[2]["config"]["port"] == 9000


async def test_readers_see_read_only_and_strangers_nothing(client, shop, graph_for):
    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop))
    system = Actor.system("tests")
    reader = await accounts.create_user(system, username="qa", password="qa-password-1")
    await accounts.create_user(system, username="zed", password="zed-password-1")
    team = await teams.create_team(system, "qa", "")
    await teams.add_member(system, team.id, reader.id)
    await teams.grant(system, team.id, "project", shop.project.id, "read")
    assert (await client.login("qa", "qa-password-1")).status_code == 303
    page = await client.page(f"/projects/{shop.project.id}/pipeline")
    assert page.status_code == 200 and 'id="pl-save"' not in page.text
    assert json.loads(DATA.search(page.text).group(1))["readonly"] is True
    panel = await client.post(
        f"/projects/{shop.project.id}/pipeline/panel",
        data={"graph": json.dumps(graph_for(shop)), "node": "web"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert "<fieldset disabled>" in panel.text
    refused = await client.form(f"/projects/{shop.project.id}/pipeline/versions/1/restore", {})
    assert refused.status_code == 303  # back to the editor with the reason as a flash
    assert await pipelines.latest_number(shop.project.id) == 1
    await client.post("/logout", data={"csrf_token": client.csrf})
    client.cookies.clear()
    client.csrf = ""
    assert (await client.login("zed", "zed-password-1")).status_code == 303
    assert (await client.get(f"/projects/{shop.project.id}/pipeline")).status_code == 404
