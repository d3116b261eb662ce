"""The shipped plugins inside real pipelines, run by the real agent over TLS: PostgreSQL service →
postgres-database → sql-script → busybox web → http-wait → shell; then deletion rolls the plugin
steps back newest first; and a failing script rolls back the database it followed."""

from __future__ import annotations

import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, labelled, make_spec

pytestmark = pytest.mark.docker

ADMIN_PASSWORD = "pg-admin-'secret\""
SEED_SQL = (
    "CREATE TABLE items (id int PRIMARY KEY, name text);\n"
    "INSERT INTO items VALUES (1, 'one'), (2, 'two');\n"
    "SELECT name FROM items ORDER BY id;"
)
SHELL_SCRIPT = (
    'echo "database=$DATABASE" >> "$SHOAL_OUTPUTS"\n'
    'grep -q \'"status":200\' "$SHOAL_INPUT_FILE" && echo saw_ready=yes >> "$SHOAL_OUTPUTS"\n'
    'echo "setting up $SHOAL_DEPLOYMENT_NAME"'
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
    config = p.PluginConfig(params=params, join_network=True, timeout_s=120)
    return p.PluginNode(id=node_id, image=image, config=config)


def finished(client, deployment_id: int, action: str = "apply") -> dict[str, p.StepFinished]:
    return {
        e.step: e
        for e in client.events
        if isinstance(e, p.StepFinished) and e.deployment_id == deployment_id and e.action == action
    }


def logged(client, deployment_id: int, step: str) -> list[str]:
    return [
        e.line
        for e in client.events
        if isinstance(e, p.LogLine) and e.deployment_id == deployment_id and e.step == step
    ]


async def test_shipped_plugins_in_a_pipeline_then_rolled_back_on_delete(
    agent, shipped_plugins, sdk_base_images, busybox_image
):
    spec = make_spec(
        31,
        [
            postgres_service(sdk_base_images["postgres"]),
            plugin(
                "appdb",
                shipped_plugins["postgres-database"],
                host="db",
                admin_password="${{ secrets.PG_ADMIN }}",
            ),
            plugin(
                "seed",
                shipped_plugins["sql-script"],
                url="${{ nodes.appdb.outputs.url }}",
                sql=SEED_SQL,
                format="csv",
                rollback_sql="DROP TABLE items;",
            ),
            httpd_service("web", busybox_image),
            plugin("ready", shipped_plugins["http-wait"], url="http://web:8080/", timeout_s=30),
            plugin(
                "setup",
                shipped_plugins["shell"],
                script=SHELL_SCRIPT,
                env={"DATABASE": "${{ nodes.appdb.outputs.database }}"},
            ),
        ],
        [("db", "appdb"), ("appdb", "seed"), ("seed", "web"), ("web", "ready"), ("ready", "setup")],
        secrets={"PG_ADMIN": ADMIN_PASSWORD},
        urls={"web": "http://web.dep31.qa.example", "db": "http://db.dep31.qa.example"},
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(31, "running", "failed", within=180)
        assert status.status == "running", status.error
        steps = finished(client, 31)
        assert all(step.ok for step in steps.values()), steps
        appdb = steps["appdb"].outputs
        assert appdb["database"] == "app_dep31" and appdb["url"].endswith("@db:5432/app_dep31")
        assert steps["seed"].outputs == {"output": "name\none\ntwo\n", "truncated": False}
        assert steps["ready"].outputs["status"] == 200
        assert steps["setup"].outputs == {"database": "app_dep31", "saw_ready": "yes"}
        assert "setting up dep31" in logged(client, 31, "setup")

        db = agent_container(agent, 31, "db")
        count = db.exec_run(
            ["psql", "-h", "/tmp", "-U", "postgres", "-d", "app_dep31", "-tAc",
             "SELECT count(*) FROM items"], user="postgres",
        )  # fmt: skip
        assert count.output.decode().strip() == "2"

        await client.request(p.Delete, deployment_id=31)
        await client.wait_status(31, "deleted", within=120)
        rollbacks = finished(client, 31, "rollback")
        assert list(rollbacks) == ["setup", "ready", "seed", "appdb"]
        assert all(step.ok for step in rollbacks.values()), rollbacks
        assert any("dropped database app_dep31" in line for line in logged(client, 31, "appdb"))
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()
    assert ADMIN_PASSWORD not in agent.log_text()


async def test_a_failing_sql_script_rolls_back_the_database(
    agent, shipped_plugins, sdk_base_images
):
    spec = make_spec(
        32,
        [
            postgres_service(sdk_base_images["postgres"]),
            plugin(
                "appdb",
                shipped_plugins["postgres-database"],
                host="db",
                admin_password="${{ secrets.PG_ADMIN }}",
                database="shop",
            ),
            plugin(
                "seed",
                shipped_plugins["sql-script"],
                url="${{ nodes.appdb.outputs.url }}",
                sql="SELECT * FROM no_such_table;",
            ),
        ],
        [("db", "appdb"), ("appdb", "seed")],
        secrets={"PG_ADMIN": ADMIN_PASSWORD},
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(32, "running", "failed", within=180)
        assert status.status == "failed"
        assert "seed" in status.error and "exited with code 1" in status.error
        assert 'relation "no_such_table" does not exist' in status.error
        assert list(finished(client, 32, "rollback")) == ["appdb"]
        assert any("dropped database shop" in line for line in logged(client, 32, "appdb"))
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()


def agent_container(agent, deployment_id: int, step: str):
    import docker

    return docker.from_env().containers.get(f"shoal-{agent.agent_id}-{deployment_id}-{step}")
