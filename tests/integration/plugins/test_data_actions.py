"""Data actions through the real agent (issue 24): a deployment whose postgres-database step is
seeded with 100,000 rows; a checkpoint, rows deleted, a reset brings them back, with the web
service that depends on the database stopped during the swap and running again after, a
client that held a connection terminated and named in the log, and a second reset right after
the first (the spare copy the agent renewed in between swapped in). Deleting the deployment
drops the checkpoints with the database."""

from __future__ import annotations

import docker
import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, labelled, make_spec

pytestmark = pytest.mark.docker

ADMIN_PASSWORD = "pg-admin-ckpt"
ROWS = 100_000
SEED_SQL = (
    f"CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, {ROWS}) g;"
)


def postgres_service(image: str) -> p.ServiceNode:
    config = p.ServiceConfig(
        port=5432,
        env={"POSTGRES_PASSWORD": "${{ secrets.PG_ADMIN }}"},
        command=["-c", "fsync=off"],
        health_check=p.HealthCheck(type="tcp", timeout_s=60),
        memory_mb=384,
    )
    return p.ServiceNode(id="db", image=image, config=config)


def plugin(node_id: str, image: str, **params: object) -> p.PluginNode:
    config = p.PluginConfig(
        params=params, join_network=True, timeout_s=120, secret_outputs=["url", "password"]
    )
    return p.PluginNode(id=node_id, image=image, config=config)


def psql(container, sql: str, database: str = "app_dep41") -> str:
    done = container.exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-d", database, "-tAc", sql], user="postgres"
    )
    assert done.exit_code == 0, done.output
    return done.output.decode().strip()


async def test_checkpoint_then_reset_through_the_agent(
    agent, shipped_plugins, sdk_base_images, busybox_image
):
    spec = make_spec(
        41,
        [
            postgres_service(sdk_base_images["postgres"]),
            plugin(
                "appdb",
                shipped_plugins["postgres-database"],
                host="db",
                admin_password="${{ secrets.PG_ADMIN }}",
            ),
            plugin("seed", shipped_plugins["sql-script"], url="${{ nodes.appdb.outputs.url }}",
                   sql=SEED_SQL),
            httpd_service("web", busybox_image),
        ],
        [("db", "appdb"), ("appdb", "seed"), ("seed", "web")],
        secrets={"PG_ADMIN": ADMIN_PASSWORD},
    )  # fmt: skip
    client = await agent.client()
    containers = docker.from_env().containers
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(41, "running", "failed", within=240)
        assert status.status == "running", status.error
        db = containers.get(f"shoal-{agent.agent_id}-41-db")
        assert psql(db, "SELECT count(*) FROM items") == str(ROWS)

        saved = await client.request(
            p.DataAction, within=240, deployment_id=41, step="appdb", action="checkpoint",
            checkpoint="before my test",
        )  # fmt: skip
        assert isinstance(saved, p.DataResult) and saved.ok, saved
        assert saved.stopped == ["web"]  # the service using the database, and only it
        assert saved.outputs["checkpoint"] == "before my test" and saved.outputs["bytes"] > 0
        web = containers.get(f"shoal-{agent.agent_id}-41-web")
        assert web.status == "running"

        psql(db, "DELETE FROM items WHERE id > 100")
        db.exec_run(
            ["sh", "-c", "psql -h /tmp -U postgres -d app_dep41 -c 'SELECT pg_sleep(600)' &"],
            user="postgres",
            detach=True,
        )
        reset = await client.request(
            p.DataAction, within=240, deployment_id=41, step="appdb", action="reset",
            checkpoint="before my test",
        )  # fmt: skip
        assert reset.ok, reset
        assert "a client of app_dep41" in reset.log  # the held connection, ended and named
        assert "(its spare copy swapped in)" in reset.log  # prepared after the checkpoint
        assert ADMIN_PASSWORD not in reset.log
        assert psql(db, "SELECT count(*) FROM items") == str(ROWS)
        assert containers.get(f"shoal-{agent.agent_id}-41-web").status == "running"

        # A reset right after a reset: the agent renewed the spare in between.
        psql(db, "DELETE FROM items WHERE id > 10")
        again = await client.request(
            p.DataAction, within=240, deployment_id=41, step="appdb", action="reset",
            checkpoint="before my test",
        )  # fmt: skip
        assert again.ok and "(its spare copy swapped in)" in again.log, again
        assert psql(db, "SELECT count(*) FROM items") == str(ROWS)

        usage = await client.request(
            p.DataAction, within=120, deployment_id=41, step="appdb", action="usage"
        )
        assert usage.ok and usage.outputs["checkpoint_bytes"] > 0, usage
        assert usage.stopped == []  # reading the disk use stops nothing

        missing = await client.request(
            p.DataAction, within=120, deployment_id=41, step="appdb", action="reset",
            checkpoint="never saved",
        )  # fmt: skip
        assert not missing.ok and "has no checkpoint 'never saved'" in missing.error
        assert containers.get(f"shoal-{agent.agent_id}-41-web").status == "running"

        unknown = await client.request(p.DataAction, deployment_id=41, step="web", action="usage")
        assert isinstance(unknown, p.ErrorReply) and unknown.code == "not_found"

        await client.request(p.Delete, deployment_id=41)
        await client.wait_status(41, "deleted", within=120)
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()
