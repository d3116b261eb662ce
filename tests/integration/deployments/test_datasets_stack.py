"""Seeding from a dataset with every real part (issue 24): control-plane services, SAQ worker,
hub, a real agent on dockerd, the shipped postgres-restore plugin and a PostgreSQL server the
node's deployments share (on the host's network, reached through the deployment network's
gateway). A dump of 100,000 rows is uploaded as a dataset; the first deployment gets it sent to
its node and restored, the second is a template copy and nothing is sent again; the dataset
cannot be deleted meanwhile; a reset puts the second deployment's database back to its seeded
state; a checkpoint of it is saved, rows are deleted, and a reset to the checkpoint brings
them back. (A name the project lacks: web/test_datasets.py.)"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker
import pytest

from core import runtime
from core.domain.images import DOCKER_HUB_URL
from core.errors import Conflict, NotFound
from core.jobs import make_worker
from core.services import (
    checkpoints,
    dataset_nodes,
    datasets,
    pipelines,
    plugins,
    projects,
    secrets,
    seed_resets,
    step_outputs,
)
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from core.settings import Settings
from core.tables import Registry
from shoal_plugin._target import target_schema
from shoaltest.db import insert_row
from shoaltest.hub import add_node_with_agent, until, wait_status
from shoaltest.ports import free_port

pytestmark = pytest.mark.docker

SDK_PLUGINS = Path(__file__).resolve().parents[3] / "plugins-sdk" / "plugins"
ROWS = 100_000
PASSWORD = "pg-admin-seed"


@pytest.fixture
def shared_postgres(sdk_base_images) -> Iterator[tuple[str, int]]:
    """PostgreSQL on the host's network (as an operator runs one per node), on a free port."""
    client, port = docker.from_env(), free_port()
    container = client.containers.run(
        sdk_base_images["postgres"],
        ["-c", "fsync=off", "-c", f"port={port}"],
        environment={"POSTGRES_PASSWORD": PASSWORD},
        network_mode="host",
        labels={"org.shoal.test": "datasets-stack"},
        detach=True,
    )
    try:
        deadline = time.monotonic() + 60
        probe = ["pg_isready", "-h", "/tmp", "-p", str(port), "-U", "postgres"]
        while container.exec_run(probe, user="postgres").exit_code != 0:
            assert time.monotonic() < deadline, container.logs().decode()[-2000:]
            time.sleep(0.2)
        yield container.name, port
    finally:
        container.remove(force=True)


def _psql(name: str, port: int, sql: str, database: str = "postgres") -> str:
    container = docker.from_env().containers.get(name)
    argv = ["psql", "-h", "/tmp", "-p", str(port), "-U", "postgres", "-d", database, "-tAc", sql]
    done = container.exec_run(argv, user="postgres")
    assert done.exit_code == 0, done.output
    return done.output.decode().strip()


def _dump(name: str, port: int) -> bytes:
    _psql(name, port, "CREATE DATABASE shop_source")
    table = f"CREATE TABLE items AS SELECT g AS id FROM generate_series(1, {ROWS}) g"
    _psql(name, port, table, "shop_source")
    made = docker.from_env().containers.get(name).exec_run(
        ["pg_dump", "-h", "/tmp", "-p", str(port), "-U", "postgres", "-Fc", "--no-owner",
         "shop_source"],
        user="postgres",
        demux=True,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    return made.output[0]


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


@pytest.fixture
async def stack(hub, hub_env, agent_factory, queue, shipped_plugins, shared_postgres, tmp_path):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    runtime.install(settings=Settings(data_dir=str(tmp_path / "cp")))
    worker = make_worker(queue, 4, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    registry = await insert_row(Registry(name="docker-hub", url=DOCKER_HUB_URL))
    image, tag = shipped_plugins["postgres-restore"].split(":")
    restore = await plugins.create_plugin(
        admin,
        plugins.PluginInput(
            name="postgres-restore", registry_id=registry, image=image, tag=tag,
            param_schema=target_schema(str(SDK_PLUGINS / "postgres-restore")),
            timeout_s=120, join_network=True,
        ),
    )  # fmt: skip
    project = await projects.create_project(
        admin, projects.ProjectInput(name="shop", cpu=0.5, memory_mb=256)
    )
    await secrets.set_secret(admin, project.id, "PG_ADMIN", PASSWORD)
    name, port = shared_postgres

    async def pipeline(dataset: str) -> None:
        params = {"host": "gateway", "port": port, "admin_password": "${{ secrets.PG_ADMIN }}"}
        seed = {"plugin_id": restore.id, "params": {**params, "dataset": dataset}}
        graph = {"nodes": [{"id": "appdb", "kind": "plugin", "config": seed}], "edges": []}
        await pipelines.save_pipeline(admin, project.id, {**graph, "layout": {}}, dataset)

    await pipeline("shop")
    yield {"admin": admin, "env_id": env_id, "agent": agent, "project": project,
           "pg": (name, port), "pipeline": pipeline}  # fmt: skip
    await worker.stop()
    worker_task.cancel()
    await asyncio.wait([worker_task], timeout=10)  # its connections back before the pool closes


async def _deploy(stack, name: str):
    admin = stack["admin"]
    dep = await create_deployment(
        admin,
        DeploymentInput(project_id=stack["project"].id, environment_id=stack["env_id"], name=name),
    )

    async def done():
        found = await get_deployment(admin, dep.id)
        return found if found.status in ("running", "failed") else None

    return await until(done, 240, every=0.3)


async def test_two_deployments_seeded_from_one_dataset_the_second_by_template(stack, monkeypatch):
    sent: list[int] = []  # bytes each deployment's transfer sent to the node
    real_send = dataset_nodes.send_to_node

    async def counted(*args, **kwargs) -> int:
        sent.append(await real_send(*args, **kwargs))
        return sent[-1]

    monkeypatch.setattr(dataset_nodes, "send_to_node", counted)
    admin, (pg, port), agent = stack["admin"], stack["pg"], stack["agent"]
    body = await asyncio.to_thread(_dump, pg, port)
    sha = hashlib.sha256(body).hexdigest()
    data_path = runtime.settings().data_path
    added = await datasets.add_version(
        admin, stack["project"].id, "shop", data_path, 1 << 30, chunks=_chunks(body)
    )
    assert (added.sha256, added.format) == (sha, "custom")

    first = await _deploy(stack, "seed-a")
    assert first.status == "running", first.error
    outputs = await step_outputs.current_outputs(first.id)
    assert outputs["appdb"]["seeded_by"] == "restore"
    assert outputs["appdb"]["dataset"] == "shop@1"
    held = agent.data_dir / "datasets" / sha
    assert held.read_bytes() == body
    assert sent == [len(body)]

    second = await _deploy(stack, "seed-b")
    assert second.status == "running", second.error
    assert (await step_outputs.current_outputs(second.id))["appdb"]["seeded_by"] == "template"
    assert sent == [len(body), 0]  # the node had it: nothing sent again
    for database in ("app_seed_a", "app_seed_b"):
        count = await asyncio.to_thread(_psql, pg, port, "SELECT count(*) FROM items", database)
        assert count == str(ROWS)

    # Back to the seeded state (the service behind the API route and the page's button).
    await asyncio.to_thread(_psql, pg, port, "DELETE FROM items WHERE id > 10", "app_seed_b")
    assert await seed_resets.seeded_steps_of(second) == {"appdb": "shop"}
    reset = await seed_resets.reset_to_seed(admin, second.id, "appdb")
    assert "app_seed_b reset to its seeded state" in reset.log
    with pytest.raises(NotFound):
        await seed_resets.reset_to_seed(admin, second.id, "nope")
    count = await asyncio.to_thread(_psql, pg, port, "SELECT count(*) FROM items", "app_seed_b")
    assert count == str(ROWS)

    # A checkpoint of the seeded database (the service behind the page's button and the API):
    # rows deleted, reset to it, counted again; its copies count in the deployment's disk use.
    (found,) = await checkpoints.databases(admin, second.id)
    assert (found.step, found.database, found.checkpoints) == ("appdb", "app_seed_b", [])
    await asyncio.to_thread(_psql, pg, port, "DELETE FROM items WHERE id > 50000", "app_seed_b")
    saved = await checkpoints.save(
        admin, second.id, "appdb", checkpoints.CheckpointInput(name="half")
    )
    assert saved.size_bytes > 1_000_000
    (found,) = await checkpoints.databases(admin, second.id)
    assert found.used_bytes == saved.size_bytes
    await asyncio.to_thread(_psql, pg, port, "DELETE FROM items WHERE id > 10", "app_seed_b")
    back = await checkpoints.reset(admin, second.id, saved.id)
    assert back.checkpoint == "half" and "app_seed_b reset to checkpoint 'half'" in back.log
    count = await asyncio.to_thread(_psql, pg, port, "SELECT count(*) FROM items", "app_seed_b")
    assert count == "50000"

    with pytest.raises(Conflict, match="used by deployments seed-a, seed-b"):
        await datasets.delete_dataset(admin, stack["project"].id, "shop", data_path)
