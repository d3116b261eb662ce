"""Secret step outputs with every real part: control-plane services, SAQ worker, hub, a real
agent on dockerd and the shipped postgres-database and sql-script plugins. The database's URL
(it holds the app password, a project secret with URL-special characters) is a secret output:
the database column and the agent's data dir never hold it; after the agent was killed and the
deployment deleted while its node was down, the script's rollback still gets the real URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.protocol.redaction import secret_forms
from core import db, runtime
from core.domain.images import DOCKER_HUB_URL
from core.jobs import make_worker
from core.services import catalog, pipelines, plugins, projects, secrets
from core.services import deployment_actions as actions
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from core.settings import Settings
from core.tables import PipelineRun, PipelineStep, Registry
from shoal_plugin._target import target_schema
from shoaltest.agent import labelled
from shoaltest.db import insert_row
from shoaltest.hub import add_node_with_agent, until, wait_status

pytestmark = pytest.mark.docker

SDK_PLUGINS = Path(__file__).resolve().parents[3] / "plugins-sdk" / "plugins"
ADMIN_PW = "pg-admin-Secret-1"
APP_PW = "app p@ss/w+rd:7"  # quote and quote_plus spell it differently
SEED_SQL = "CREATE TABLE items (id int PRIMARY KEY);\nINSERT INTO items VALUES (1);"


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
    hub_registry = await insert_row(Registry(name="docker-hub", url=DOCKER_HUB_URL))
    postgres = await catalog.create_service(
        admin,
        catalog.ServiceInput(
            name="postgres",
            registry_id=hub_registry,
            image=sdk_base_images["postgres"].split(":")[0],
            tag=sdk_base_images["postgres"].split(":")[1],
            port=5432,
            health_check=catalog.HealthCheck(kind="tcp"),
            command="-c fsync=off",
            cpu=0.5,
            memory_mb=384,
        ),
    )
    database = await _plugin(
        admin, hub_registry, "postgres-database", shipped_plugins["postgres-database"]
    )
    script = await _plugin(admin, hub_registry, "sql-script", shipped_plugins["sql-script"])
    project = await projects.create_project(
        admin, projects.ProjectInput(name="shop", cpu=2.0, memory_mb=1024)
    )
    await secrets.set_secret(admin, project.id, "PG_ADMIN", ADMIN_PW)
    await secrets.set_secret(admin, project.id, "APP_PW", APP_PW)
    graph = {
        "nodes": [
            {
                "id": "db",
                "kind": "service",
                "config": {
                    "service_id": postgres.id,
                    "env": {"POSTGRES_PASSWORD": "${{ secrets.PG_ADMIN }}"},
                },
            },
            {
                "id": "appdb",
                "kind": "plugin",
                "config": {
                    "plugin_id": database.id,
                    "params": {
                        "host": "db",
                        "admin_password": "${{ secrets.PG_ADMIN }}",
                        "password": "${{ secrets.APP_PW }}",
                    },
                },
            },
            {
                "id": "seed",
                "kind": "plugin",
                "config": {
                    "plugin_id": script.id,
                    "params": {
                        "url": "${{ nodes.appdb.outputs.url }}",
                        "sql": SEED_SQL,
                        "rollback_sql": "DROP TABLE items;",
                    },
                },
            },
        ],
        "edges": [{"from": "db", "to": "appdb"}, {"from": "appdb", "to": "seed"}],
        "layout": {},
    }
    await pipelines.save_pipeline(admin, project.id, graph, "database, then a seed")
    yield {"admin": admin, "env_id": env_id, "node": node, "agent": agent, "project": project}
    await worker.stop()
    worker_task.cancel()


async def _wait(actor, deployment_id: int, wanted: tuple[str, ...], within: float):
    async def reached():
        dep = await get_deployment(actor, deployment_id)
        return dep if dep.status in wanted else None

    return await until(reached, within, every=0.3)


def _leaks(text: bytes | str) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [f for f in secret_forms([APP_PW, ADMIN_PW]) if f.encode() in data]


def _disk_leaks(data_dir: Path) -> list[str]:
    return [
        f"{p.name}: {f}" for p in data_dir.rglob("*") if p.is_file() for f in _leaks(p.read_bytes())
    ]


async def test_secret_url_sealed_off_the_agent_disk_and_rolled_back_after_an_agent_restart(
    stack,
):
    admin, agent = stack["admin"], stack["agent"]
    dep = await create_deployment(
        admin,
        DeploymentInput(
            project_id=stack["project"].id, environment_id=stack["env_id"], name="pr-1"
        ),
    )
    dep = await _wait(admin, dep.id, ("running", "failed"), within=240)
    assert dep.status == "running", dep.error

    stored = await db.fetch("SELECT node_id, outputs::text, sealed_outputs FROM pipeline_steps")
    by_step = {row[0]: row for row in stored}
    assert by_step["appdb"][2] and _leaks(" ".join(r[1] + r[2] for r in stored)) == []
    assert '"url": "********"' in by_step["appdb"][1]
    assert _disk_leaks(agent.data_dir) == []

    await asyncio.to_thread(agent.kill)  # its memory of the real URL is gone
    await _wait(admin, dep.id, ("offline",), within=30)
    await actions.delete(admin, dep.id)  # waits for the node: it is down
    await asyncio.to_thread(agent.start)
    gone = await _wait(admin, dep.id, ("deleted",), within=180)
    assert gone.deleted_at is not None

    delete_run = await (
        PipelineRun.select(PipelineRun.id)
        .where((PipelineRun.deployment == dep.id) & (PipelineRun.action == "delete"))
        .first()
        .run()
    )
    rollbacks = await (
        PipelineStep.select(PipelineStep.node_id, PipelineStep.status, PipelineStep.error)
        .where(PipelineStep.run == delete_run["id"])
        .run()
    )
    assert {r["node_id"]: r["status"] for r in rollbacks} == {
        "seed": "rolled_back",
        "appdb": "rolled_back",
    }, rollbacks
    assert labelled(agent.agent_id) == ([], [])
    assert _disk_leaks(agent.data_dir) == []
    assert _leaks(agent.log_text()) == []
