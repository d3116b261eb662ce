"""The Data section's buttons in headless Chromium against a real `shoal up` with its local
agent (issue 24): a deployment seeded by the shipped postgres-database and sql-script plugins;
Save checkpoint, a name already taken (the error shown, the name kept), rows deleted, Reset to
checkpoint brings them back; the page runs under the CSP without errors."""

from __future__ import annotations

import time
from pathlib import Path

import docker
import httpx
import pytest

from shoal_plugin._target import target_schema
from shoaltest.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

SDK_PLUGINS = Path(__file__).resolve().parents[2] / "plugins-sdk" / "plugins"
ADMIN_PW = "pg-admin-e2e"
SEED_SQL = "CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 1000) g;"


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


@pytest.fixture(scope="module")
def running(shoal_with_agent, registry, shipped_plugins, sdk_base_images):
    pg_ref = registry.push(sdk_base_images["postgres"], "shop/postgres", "15")
    plugin_ref = registry.push(shipped_plugins["postgres-database"], "plugins/pgdb", "dev")
    script_ref = registry.push(shipped_plugins["sql-script"], "plugins/sql", "dev")
    assert pg_ref and plugin_ref and script_ref
    api, env = shoal_with_agent.api, shoal_with_agent.env
    svc = ok(
        api.post(
            "/services",
            json={
                "name": "postgres",
                "registry_id": shoal_with_agent.registry_id,
                "image": "shop/postgres",
                "tag_mode": "pinned",
                "tag": "15",
                "port": 5432,
                "health_check": {"kind": "tcp"},
                "command": "-c fsync=off",
                "cpu": 0.5,
                "memory_mb": 384,
            },
        )
    )
    plugins = {}
    for name, image in (("postgres-database", "plugins/pgdb"), ("sql-script", "plugins/sql")):
        plugins[name] = ok(
            api.post(
                "/plugins",
                json={
                    "name": name,
                    "registry_id": shoal_with_agent.registry_id,
                    "image": image,
                    "tag": "dev",
                    "param_schema": target_schema(str(SDK_PLUGINS / name)),
                    "timeout_s": 120,
                    "join_network": True,
                },
            )
        )["id"]
    project = ok(api.post("/projects", json={"name": "checkpoints", "cpu": 1.5, "memory_mb": 1024}))
    graph = {
        "nodes": [
            {"id": "db", "kind": "service", "config": {
                "service_id": svc["id"], "env": {"POSTGRES_PASSWORD": ADMIN_PW}}},
            {"id": "appdb", "kind": "plugin", "config": {
                "plugin_id": plugins["postgres-database"],
                "params": {"host": "db", "admin_password": ADMIN_PW}}},
            {"id": "seed", "kind": "plugin", "config": {
                "plugin_id": plugins["sql-script"],
                "params": {"url": "${{ nodes.appdb.outputs.url }}", "sql": SEED_SQL}}},
        ],
        "edges": [{"from": "db", "to": "appdb"}, {"from": "appdb", "to": "seed"}],
        "layout": {},
    }  # fmt: skip
    ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
    body = {"project_id": project["id"], "environment_id": env["id"], "name": "pr-5"}
    dep = ok(api.post("/deployments", json=body))
    deadline = time.monotonic() + 300
    while (found := ok(api.get(f"/deployments/{dep['id']}")))["status"] not in (
        "running",
        "failed",
    ):
        assert time.monotonic() < deadline, found["status"]
        time.sleep(0.5)
    assert found["status"] == "running", found["error"]
    yield shoal_with_agent.up, dep, shoal_with_agent.agent_id
    shoal_with_agent.delete_deployments()


def query(agent_id: str, deployment_id: int, sql: str = "SELECT count(*) FROM items") -> str:
    db = docker.from_env().containers.get(f"shoal-{agent_id}-{deployment_id}-db")
    done = db.exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-d", "app_pr_5", "-tAc", sql], user="postgres"
    )
    assert done.exit_code == 0, done.output
    return done.output.decode().strip()


async def test_save_checkpoint_then_reset_from_the_page(running, browser):
    up, dep, agent_id = running
    context, page = await browser_sign_in(browser, up.url, "ops", "ops-password-1")
    page.on("dialog", lambda dialog: dialog.accept())  # the Reset button's data-confirm
    await page.goto(f"/deployments/{dep['id']}")
    data = page.locator("#data")
    assert "app_pr_5" in await data.inner_text()
    assert "No checkpoint yet." in await data.inner_text()

    await data.get_by_label("Checkpoint name").fill("before tests")
    await data.get_by_role("button", name="Save checkpoint").click()
    await page.wait_for_selector("text=Checkpoint 'before tests' of appdb saved.", timeout=120_000)
    row = page.locator("#data tbody tr", has_text="before tests")
    assert "ops" in await row.inner_text()

    await page.locator("#data").get_by_label("Checkpoint name").fill("before tests")
    await page.locator("#data").get_by_role("button", name="Save checkpoint").click()
    await page.wait_for_selector("text=already has a checkpoint named", timeout=60_000)
    kept = page.locator("#data").get_by_label("Checkpoint name")
    assert await kept.input_value() == "before tests"  # the name typed is kept

    query(agent_id, dep["id"], "DELETE FROM items WHERE id > 10")
    assert query(agent_id, dep["id"]) == "10"
    await row.get_by_role("button", name="Reset to checkpoint").click()
    await page.wait_for_selector("text=appdb reset to 'before tests'", timeout=120_000)
    assert query(agent_id, dep["id"]) == "1000"
    assert page.js_errors == []
    await context.close()
