"""Checkpoints with every real part (issue 24): control-plane services and API, hub, a real
agent on dockerd, the shipped postgres-database and sql-script plugins. A deployment seeded with
100,000 rows: checkpoint, rows deleted, reset through the API, counted again; a name that is
taken, a step without data actions and a caller with read access are refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import docker
import pytest

from core import runtime
from core.actor import Actor
from core.domain.images import DOCKER_HUB_URL
from core.errors import Conflict, NotFound
from core.jobs import make_worker
from core.services import (
    accounts,
    catalog,
    checkpoints,
    pipelines,
    plugins,
    projects,
    secrets,
    teams,
)
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from core.settings import Settings
from core.tables import Checkpoint, Registry
from shoal_plugin._target import target_schema
from shoaltest.db import insert_row
from shoaltest.hub import add_node_with_agent, until, wait_status
from shoaltest.web import api_client

pytestmark = pytest.mark.docker

SDK_PLUGINS = Path(__file__).resolve().parents[3] / "plugins-sdk" / "plugins"
ROWS = 100_000
SEED_SQL = f"CREATE TABLE items AS SELECT g AS id FROM generate_series(1, {ROWS}) g;"


async def _plugin(admin, registry: int, name: str, image: str):
    return await plugins.create_plugin(
        admin,
        plugins.PluginInput(
            name=name,
            registry_id=registry,
            image=image.split(":")[0],
            tag=image.split(":")[1],
            param_schema=target_schema(str(SDK_PLUGINS / name)),
            timeout_s=120,
            join_network=True,
        ),
    )


@pytest.fixture
async def stack(hub, hub_env, agent_factory, queue, shipped_plugins, sdk_base_images):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    runtime.install(settings=Settings())
    worker = make_worker(queue, 4, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    registry = await insert_row(Registry(name="docker-hub", url=DOCKER_HUB_URL))
    image, tag = sdk_base_images["postgres"].split(":")
    postgres = await catalog.create_service(
        admin,
        catalog.ServiceInput(
            name="postgres", registry_id=registry, image=image, tag=tag, port=5432,
            health_check=catalog.HealthCheck(kind="tcp"), command="-c fsync=off",
            cpu=0.5, memory_mb=384,
        ),
    )  # fmt: skip
    database = await _plugin(
        admin, registry, "postgres-database", shipped_plugins["postgres-database"]
    )
    script = await _plugin(admin, registry, "sql-script", shipped_plugins["sql-script"])
    # Another project's pipeline first, so shop's version 1 is not pipeline_versions row 1.
    other = await projects.create_project(
        admin, projects.ProjectInput(name="other", cpu=1.0, memory_mb=512)
    )
    only_db = {"id": "db", "kind": "service", "config": {"service_id": postgres.id}}
    await pipelines.save_pipeline(admin, other.id, {"nodes": [only_db], "edges": [], "layout": {}})
    project = await projects.create_project(
        admin, projects.ProjectInput(name="shop", cpu=2.0, memory_mb=1024)
    )
    await secrets.set_secret(admin, project.id, "PG_ADMIN", "pg-admin-ckpt")
    graph = {
        "nodes": [
            {"id": "db", "kind": "service", "config": {
                "service_id": postgres.id,
                "env": {"POSTGRES_PASSWORD": "${{ secrets.PG_ADMIN }}"}}},
            {"id": "appdb", "kind": "plugin", "config": {
                "plugin_id": database.id,
                "params": {"host": "db", "admin_password": "${{ secrets.PG_ADMIN }}"}}},
            {"id": "seed", "kind": "plugin", "config": {
                "plugin_id": script.id,
                "params": {"url": "${{ nodes.appdb.outputs.url }}", "sql": SEED_SQL}}},
        ],
        "edges": [{"from": "db", "to": "appdb"}, {"from": "appdb", "to": "seed"}],
        "layout": {},
    }  # fmt: skip
    await pipelines.save_pipeline(admin, project.id, graph, "database, then a seed")
    yield {"admin": admin, "env_id": env_id, "agent": agent, "project": project}
    await worker.stop()
    worker_task.cancel()


def _count(agent, deployment_id: int) -> str:
    db = docker.from_env().containers.get(f"shoal-{agent.agent_id}-{deployment_id}-db")
    done = db.exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-d", "app_pr_1", "-tAc",
         "SELECT count(*) FROM items"], user="postgres",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return done.output.decode().strip()


def _delete_rows(agent, deployment_id: int) -> None:
    db = docker.from_env().containers.get(f"shoal-{agent.agent_id}-{deployment_id}-db")
    done = db.exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-d", "app_pr_1", "-c",
         "DELETE FROM items WHERE id > 10"], user="postgres",
    )  # fmt: skip
    assert done.exit_code == 0, done.output


async def test_seeded_rows_checkpoint_delete_reset_count(stack, web_app, admin):
    user, admin, agent = admin, stack["admin"], stack["agent"]
    dep = await create_deployment(
        admin,
        DeploymentInput(
            project_id=stack["project"].id, environment_id=stack["env_id"], name="pr-1"
        ),
    )

    async def running():
        found = await get_deployment(admin, dep.id)
        return found if found.status in ("running", "failed") else None

    dep = await until(running, 240, every=0.3)
    assert dep.status == "running", dep.error
    assert await asyncio.to_thread(_count, agent, dep.id) == str(ROWS)

    (found,) = await checkpoints.databases(admin, dep.id)
    assert (found.step, found.database, found.checkpoints) == ("appdb", "app_pr_1", [])

    saved = await checkpoints.save(
        admin, dep.id, "appdb", checkpoints.CheckpointInput(name="before")
    )
    assert saved.created_by == admin.username and saved.size_bytes > 1_000_000
    with pytest.raises(Conflict, match="already has a checkpoint named 'before'"):
        await checkpoints.save(admin, dep.id, "appdb", checkpoints.CheckpointInput(name="before"))
    with pytest.raises(NotFound):
        await checkpoints.save(admin, dep.id, "seed", checkpoints.CheckpointInput(name="x"))

    await asyncio.to_thread(_delete_rows, agent, dep.id)
    assert await asyncio.to_thread(_count, agent, dep.id) == "10"

    client = await api_client(web_app, user)
    try:
        listed = await client.get(f"/api/v1/deployments/{dep.id}/databases")
        assert listed.status_code == 200, listed.text
        assert listed.json()[0]["checkpoints"][0]["name"] == "before"
        assert listed.json()[0]["used_bytes"] == saved.size_bytes  # counted in its disk use
        reset = await client.post(f"/api/v1/deployments/{dep.id}/checkpoints/{saved.id}/reset")
        assert reset.status_code == 200, reset.text
        assert reset.json()["checkpoint"] == "before"
        taken = await client.post(
            f"/api/v1/deployments/{dep.id}/databases/appdb/checkpoints", json={"name": "before"}
        )
        assert taken.status_code == 409 and "already has" in taken.json()["detail"]
    finally:
        await client.aclose()
    assert await asyncio.to_thread(_count, agent, dep.id) == str(ROWS)
    assert await Checkpoint.count().where(Checkpoint.deployment == dep.id) == 1

    # Read access lists the checkpoints, and may neither save nor reset.
    reader = await accounts.create_user(
        Actor.system("tests"), username="rita", password="rita-password-1"
    )
    team = await teams.create_team(admin, "readers")
    await teams.add_member(admin, team.id, reader.id)
    await teams.grant(admin, team.id, "project", stack["project"].id, "read")
    async with await api_client(web_app, reader) as http:
        listed = await http.get(f"/api/v1/deployments/{dep.id}/databases")
        assert listed.status_code == 200 and listed.json()[0]["checkpoints"][0]["name"] == "before"
        refused = await http.post(f"/api/v1/deployments/{dep.id}/checkpoints/{saved.id}/reset")
        assert refused.status_code == 403, refused.text
        saving = await http.post(
            f"/api/v1/deployments/{dep.id}/databases/appdb/checkpoints", json={"name": "mine"}
        )
        assert saving.status_code == 403, saving.text
