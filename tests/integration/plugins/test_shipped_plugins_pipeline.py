"""The shipped plugins inside real pipelines, run by the real agent over TLS: PostgreSQL service →
postgres-database → sql-script → busybox web → http-wait → shell; then deletion rolls the plugin
steps back newest first; a failing script rolls back the database it followed; and the rollback
of a script given the database's secret URL gets the real URL, also after an agent restart,
while no secret ever reaches the agent's data dir."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent import protocol as p
from agent.protocol.redaction import secret_forms
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


def plugin(
    node_id: str, image: str, secret_outputs: tuple[str, ...] = (), **params: object
) -> p.PluginNode:
    config = p.PluginConfig(
        params=params, join_network=True, timeout_s=120, secret_outputs=list(secret_outputs)
    )
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


# Plain characters on purpose: the URL then holds the password as is, which the agent's disk
# copy used to blank out, handing rollbacks "postgresql://app:[secret]@db…".
APP_PASSWORD = "app-pw-4711-plain"
PG_SECRET_OUTPUTS = ("url", "password")


def database_then_script(deployment_id: int, shipped_plugins, sdk_base_images, **db_params):
    return make_spec(
        deployment_id,
        [
            postgres_service(sdk_base_images["postgres"]),
            plugin(
                "appdb",
                shipped_plugins["postgres-database"],
                PG_SECRET_OUTPUTS,
                host="db",
                admin_password="${{ secrets.PG_ADMIN }}",
                **db_params,
            ),
            plugin(
                "seed",
                shipped_plugins["sql-script"],
                url="${{ nodes.appdb.outputs.url }}",
                sql=SEED_SQL,
                rollback_sql="DROP TABLE items;",
            ),
        ],
        [("db", "appdb"), ("appdb", "seed")],
        secrets={"PG_ADMIN": ADMIN_PASSWORD, "APP_PW": APP_PASSWORD},
    )


def data_dir_leaks(data_dir: Path, secrets: list[str]) -> list[str]:
    """Files of the agent's data dir holding any form of any secret (raw bytes, sqlite WAL too)."""
    forms = [form.encode() for form in secret_forms(secrets)]
    return [
        f"{path.name}: {form!r}"
        for path in data_dir.rglob("*")
        if path.is_file()
        for form in forms
        if form in path.read_bytes()
    ]


async def test_a_script_rollback_gets_the_secret_url_and_the_disk_never_sees_it(
    agent, shipped_plugins, sdk_base_images
):
    spec = database_then_script(
        33, shipped_plugins, sdk_base_images, password="${{ secrets.APP_PW }}"
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(33, "running", "failed", within=180)
        assert status.status == "running", status.error
        url = finished(client, 33)["appdb"].outputs["url"]
        assert f":{APP_PASSWORD}@db:5432/" in url  # the control plane gets the real outputs
        assert data_dir_leaks(agent.data_dir, [APP_PASSWORD, ADMIN_PASSWORD]) == []

        await client.request(p.Delete, deployment_id=33)
        await client.wait_status(33, "deleted", within=120)
        rollbacks = finished(client, 33, "rollback")
        assert list(rollbacks) == ["seed", "appdb"]
        assert rollbacks["seed"].ok, rollbacks["seed"].error
        assert rollbacks["appdb"].ok, rollbacks["appdb"].error
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()
    assert data_dir_leaks(agent.data_dir, [APP_PASSWORD, ADMIN_PASSWORD]) == []
    assert APP_PASSWORD not in agent.log_text()


async def test_after_an_agent_restart_the_delete_brings_the_real_outputs_back(
    agent, shipped_plugins, sdk_base_images
):
    spec = database_then_script(34, shipped_plugins, sdk_base_images)  # a random password
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(34, "running", "failed", within=180)
        assert status.status == "running", status.error
        recorded = {step: e.outputs for step, e in finished(client, 34).items()}
    finally:
        await client.close()
    generated = recorded["appdb"]["password"]
    assert data_dir_leaks(agent.data_dir, [generated]) == []

    await asyncio.to_thread(agent.kill)  # memory gone: only the control plane has the URL now
    await asyncio.to_thread(agent.start)
    client = await agent.client()
    try:
        # What the control plane sends: the project's secrets and the steps' real outputs.
        await client.request(p.Delete, deployment_id=34, secrets=spec.secrets, outputs=recorded)
        await client.wait_status(34, "deleted", within=120)
        rollbacks = finished(client, 34, "rollback")
        assert list(rollbacks) == ["seed", "appdb"]
        assert all(step.ok for step in rollbacks.values()), rollbacks
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()
    assert data_dir_leaks(agent.data_dir, [generated]) == []
