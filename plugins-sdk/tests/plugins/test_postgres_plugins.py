"""postgres-database and sql-script as real containers against a real PostgreSQL service."""

from __future__ import annotations

import pytest
from plugin_containers import PG_PASSWORD, run_plugin, start_service

from shoal_plugin import Deployment, invocation_document

pytestmark = pytest.mark.docker

DEPLOYMENT = Deployment(12, "feature-42", "qa", {})


def admin_query(docker_client, postgres: str, sql: str) -> str:
    container = docker_client.containers.get(postgres)
    result = container.exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-tA", "-c", sql], user="postgres"
    )
    assert result.exit_code == 0, result.output
    return result.output.decode().strip()


def database_step(docker_client, shipped_plugins, network, action, **params):
    params = {"host": "db", "admin_password": PG_PASSWORD, **params}
    document = invocation_document(action, params, deployment=DEPLOYMENT)
    return run_plugin(
        docker_client, shipped_plugins["postgres-database"], document, network=network
    )


def sql_step(docker_client, shipped_plugins, network, action, **params):
    document = invocation_document(action, params, deployment=DEPLOYMENT)
    return run_plugin(docker_client, shipped_plugins["sql-script"], document, network=network)


def test_database_lifecycle_with_a_script_in_between(
    docker_client, shipped_plugins, pg_network, postgres
):
    created = database_step(docker_client, shipped_plugins, pg_network, "apply")
    assert created.exit_code == 0, created.stderr
    outputs = created.document["outputs"]
    assert outputs["database"] == outputs["user"] == "app_feature_42"
    assert outputs["url"].startswith("postgresql://app_feature_42:")
    assert outputs["url"].endswith("@db:5432/app_feature_42")
    owner = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app_feature_42'"
    assert admin_query(docker_client, postgres, owner) == "app_feature_42"

    again = database_step(
        docker_client, shipped_plugins, pg_network, "apply", password='n\'ew "pw"'
    )
    assert again.exit_code == 0, again.stderr  # a second apply is safe, and resets the password

    sql = (
        "CREATE TABLE items (id int PRIMARY KEY, name text);\n"
        "INSERT INTO items VALUES (1, 'one'), (2, 'two');\n"
        "SELECT name FROM items ORDER BY id;"
    )
    script = sql_step(
        docker_client, shipped_plugins, pg_network, "apply",
        url=again.document["outputs"]["url"], sql=sql, format="csv",
        rollback_sql="DROP TABLE items;",
    )  # fmt: skip
    assert script.exit_code == 0, script.stderr
    assert script.document["outputs"] == {"output": "name\none\ntwo\n", "truncated": False}
    assert "| one" in script.stderr  # the output is also the step's log

    undo = sql_step(
        docker_client, shipped_plugins, pg_network, "rollback",
        url=again.document["outputs"]["url"], sql="SELECT 1", rollback_sql="DROP TABLE items;",
    )  # fmt: skip
    assert undo.exit_code == 0, undo.stderr

    dropped = database_step(docker_client, shipped_plugins, pg_network, "rollback")
    assert dropped.exit_code == 0, dropped.stderr
    assert dropped.document["outputs"] == {"database": "app_feature_42", "user": "app_feature_42"}
    exists = "SELECT count(*) FROM pg_database WHERE datname = 'app_feature_42'"
    assert admin_query(docker_client, postgres, exists) == "0"
    roles = "SELECT count(*) FROM pg_roles WHERE rolname = 'app_feature_42'"
    assert admin_query(docker_client, postgres, roles) == "0"
    again_dropped = database_step(docker_client, shipped_plugins, pg_network, "rollback")
    assert again_dropped.exit_code == 0, again_dropped.stderr  # rollback twice is harmless


def test_waits_for_a_server_that_is_still_starting(
    docker_client, shipped_plugins, sdk_base_images, network
):
    start_service(
        docker_client, sdk_base_images["postgres"], network, "db",
        environment={"POSTGRES_PASSWORD": PG_PASSWORD},
    )  # fmt: skip
    step = database_step(
        docker_client, shipped_plugins, network, "apply", database="early", user="u1"
    )
    assert step.exit_code == 0, step.stderr
    assert step.document["outputs"]["url"].endswith("@db:5432/early")


def test_wrong_admin_password_fails_at_once(docker_client, shipped_plugins, pg_network, postgres):
    step = database_step(
        docker_client,
        shipped_plugins,
        pg_network,
        "apply",
        admin_password="wrong",
        connect_timeout_s=30,
    )
    assert step.exit_code == 1
    assert "password authentication failed" in step.document["error"]["message"]


def test_bad_params_name_every_field(docker_client, shipped_plugins):
    document = invocation_document(
        "apply", {"database": "bad-name", "port": 70000, "admin_password": 5}, deployment=DEPLOYMENT
    )
    step = run_plugin(docker_client, shipped_plugins["postgres-database"], document)
    assert step.exit_code == 2
    assert step.document["error"]["fields"] == {
        "params.host": "required",
        "params.admin_password": "expected string, got integer",
        "params.port": "must be <= 65535, got 70000",
        "params.database": "must match '^([A-Za-z_][A-Za-z0-9_]{0,62})?$'",
    }


def test_refuses_to_manage_the_servers_own_database(docker_client, shipped_plugins):
    document = invocation_document(
        "rollback", {"host": "db", "admin_password": "x", "database": "postgres"}
    )
    step = run_plugin(docker_client, shipped_plugins["postgres-database"], document)
    assert step.exit_code == 2
    assert set(step.document["error"]["fields"]) == {"params.database", "params.user"}


def test_sql_error_fails_the_step_and_rolls_the_script_back(
    docker_client, shipped_plugins, pg_network, postgres
):
    url = "postgresql://postgres:{}@db/postgres".format(
        PG_PASSWORD.replace("'", "%27").replace('"', "%22")
    )
    step = sql_step(
        docker_client, shipped_plugins, pg_network, "apply",
        url=url, sql="CREATE TABLE half (id int);\nSELECT * FROM missing_table;",
    )  # fmt: skip
    assert step.exit_code == 1
    assert 'relation "missing_table" does not exist' in step.document["error"]["message"]
    count = "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"
    assert admin_query(docker_client, postgres, count) == "0"


def test_sql_script_bad_params(docker_client, shipped_plugins):
    document = invocation_document("apply", {"url": "mysql://x/y", "sql": "SELECT 1"})
    step = run_plugin(docker_client, shipped_plugins["sql-script"], document)
    assert step.exit_code == 2
    assert step.document["error"]["fields"] == {
        "params.url": "expected postgresql://user:password@host:port/database"
    }
    step = run_plugin(
        docker_client, shipped_plugins["sql-script"], invocation_document("apply", {"sql": ""})
    )
    assert step.exit_code == 2
    assert step.document["error"]["fields"] == {
        "params.url": "required",
        "params.sql": "must have at least 1 characters",
    }
