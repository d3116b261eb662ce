"""postgres-database's data actions (checkpoint, prepare_reset, reset, drop_checkpoint, usage)
against a real PostgreSQL service, with a client holding a connection during the reset, resets
in a row (each swapping in the spare copy the previous prepare_reset made, and one with no spare
ready copying the checkpoint), and a data disk too small for the copy."""

from __future__ import annotations

import time

import pytest
from plugin_containers import PG_PASSWORD, SESSION_LABEL, run_plugin

from shoal_plugin import Deployment, invocation_document

pytestmark = pytest.mark.docker

DEPLOYMENT = Deployment(31, "ckpt-7", "qa", {})
DATABASE = "app_ckpt_7"


def query(docker_client, postgres: str, sql: str, database: str = "postgres") -> str:
    container = docker_client.containers.get(postgres)
    result = container.exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-d", database, "-tA", "-c", sql],
        user="postgres",
    )
    assert result.exit_code == 0, result.output
    return result.output.decode().strip()


def step(docker_client, shipped_plugins, network, action, checkpoint=""):
    params = {"host": "db", "admin_password": PG_PASSWORD}
    data = {"checkpoint": checkpoint} if checkpoint else None
    document = invocation_document(action, params, deployment=DEPLOYMENT, data=data)
    return run_plugin(
        docker_client, shipped_plugins["postgres-database"], document, network=network
    )


def test_checkpoint_reset_and_the_client_that_held_a_connection(
    docker_client, shipped_plugins, pg_network, postgres
):
    created = step(docker_client, shipped_plugins, pg_network, "apply")
    assert created.exit_code == 0, created.stderr
    seed = "CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 5000) g"
    query(docker_client, postgres, seed, DATABASE)

    saved = step(docker_client, shipped_plugins, pg_network, "checkpoint", "before test")
    assert saved.exit_code == 0, saved.stderr
    assert saved.document["outputs"]["bytes"] > 0
    assert saved.document["outputs"]["prepare"] is True  # the agent runs prepare_reset next
    prepared = step(docker_client, shipped_plugins, pg_network, "prepare_reset", "before test")
    assert prepared.exit_code == 0, prepared.stderr
    assert prepared.document["outputs"]["bytes"] > 0
    used = step(docker_client, shipped_plugins, pg_network, "usage").document["outputs"]
    assert used["checkpoint_bytes"] == saved.document["outputs"]["bytes"]  # copy + spare
    query(docker_client, postgres, "DELETE FROM items WHERE id > 10", DATABASE)
    assert query(docker_client, postgres, "SELECT count(*) FROM items", DATABASE) == "10"

    # A client that keeps a session open on the database: the reset ends it and says so.
    holder = docker_client.containers.get(postgres)
    holder.exec_run(
        ["sh", "-c", f"psql -h /tmp -U postgres -d {DATABASE} -c 'SELECT pg_sleep(600)' &"],
        user="postgres",
        detach=True,
    )
    deadline_sql = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DATABASE}'"
    for _ in range(50):
        if query(docker_client, postgres, deadline_sql) != "0":
            break
        time.sleep(0.1)
    reset = step(docker_client, shipped_plugins, pg_network, "reset", "before test")
    assert reset.exit_code == 0, reset.stderr
    assert f"a client of {DATABASE}" in reset.stderr
    assert "(its spare copy swapped in)" in reset.stderr
    assert reset.document["outputs"]["prepare"] is True
    assert query(docker_client, postgres, "SELECT count(*) FROM items", DATABASE) == "5000"
    owner = f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{DATABASE}'"
    assert query(docker_client, postgres, owner) == DATABASE  # the app's user still owns it

    # The spare is renewed: a reset right after a reset still gives the checkpoint's rows.
    renewed = step(docker_client, shipped_plugins, pg_network, "prepare_reset", "before test")
    assert renewed.exit_code == 0, renewed.stderr
    replaced = "SELECT count(*) FROM pg_database WHERE datname LIKE 'ck\\_%\\_old'"
    assert query(docker_client, postgres, replaced) == "0"  # what the reset replaced is gone
    for how in ("(its spare copy swapped in)", "(copied)"):  # no prepare_reset before the 2nd
        query(docker_client, postgres, "DELETE FROM items WHERE id > 20", DATABASE)
        again = step(docker_client, shipped_plugins, pg_network, "reset", "before test")
        assert again.exit_code == 0, again.stderr
        assert how in again.stderr
        assert query(docker_client, postgres, "SELECT count(*) FROM items", DATABASE) == "5000"
        assert query(docker_client, postgres, owner) == DATABASE

    # A swap that fails (a session on the spare blocks its rename) changes nothing: the reset
    # copies the checkpoint instead.
    step(docker_client, shipped_plugins, pg_network, "prepare_reset", "before test")
    spare = query(
        docker_client, postgres, "SELECT datname FROM pg_database WHERE datname LIKE '%\\_spare'"
    )
    holder.exec_run(
        ["sh", "-c", f"psql -h /tmp -U postgres -d {spare} -c 'SELECT pg_sleep(600)' &"],
        user="postgres",
        detach=True,
    )
    on_spare = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{spare}'"
    for _ in range(50):
        if query(docker_client, postgres, on_spare) != "0":
            break
        time.sleep(0.1)
    query(docker_client, postgres, "DELETE FROM items WHERE id > 30", DATABASE)
    blocked = step(docker_client, shipped_plugins, pg_network, "reset", "before test")
    assert blocked.exit_code == 0, blocked.stderr
    assert "the spare copy was not swapped in" in blocked.stderr and "(copied)" in blocked.stderr
    assert query(docker_client, postgres, "SELECT count(*) FROM items", DATABASE) == "5000"

    usage = step(docker_client, shipped_plugins, pg_network, "usage")
    assert usage.exit_code == 0, usage.stderr
    assert usage.document["outputs"]["checkpoint_bytes"] > 0

    missing = step(docker_client, shipped_plugins, pg_network, "reset", "never saved")
    assert missing.exit_code == 1
    assert "has no checkpoint 'never saved'" in missing.document["error"]["message"]
    unnamed = step(docker_client, shipped_plugins, pg_network, "checkpoint")
    assert unnamed.exit_code == 2
    assert unnamed.document["error"]["fields"] == {
        "data.checkpoint": "the checkpoint's name is required"
    }

    dropped = step(docker_client, shipped_plugins, pg_network, "drop_checkpoint", "before test")
    assert dropped.exit_code == 0, dropped.stderr
    after = step(docker_client, shipped_plugins, pg_network, "usage")
    assert after.document["outputs"]["checkpoint_bytes"] == 0  # spare and replaced copy too

    step(docker_client, shipped_plugins, pg_network, "checkpoint", "kept")
    removed = step(docker_client, shipped_plugins, pg_network, "rollback")
    assert removed.exit_code == 0, removed.stderr
    left = "SELECT count(*) FROM pg_database WHERE datname LIKE 'ck\\_%' OR datname = 'app_ckpt_7'"
    assert query(docker_client, postgres, left) == "0"  # the checkpoints go with the database


def test_a_checkpoint_the_disk_cannot_hold_is_refused_before_starting(
    docker_client, shipped_plugins, sdk_base_images, network
):
    # A 160 MB data disk holding a ~75 MB database: no room for a copy of it.
    container = docker_client.containers.run(
        sdk_base_images["postgres"],
        command=["-c", "fsync=off", "-c", "wal_level=minimal", "-c", "max_wal_senders=0"],
        environment={"POSTGRES_PASSWORD": PG_PASSWORD},
        tmpfs={"/var/lib/postgresql/data": "size=160m"},
        detach=True,
        init=True,
        labels=SESSION_LABEL,
        network=network,
        networking_config={network: docker_client.api.create_endpoint_config(aliases=["db"])},
    )
    for _ in range(150):
        probe = container.exec_run(["pg_isready", "-h", "/tmp", "-U", "postgres"], user="postgres")
        if probe.exit_code == 0:
            break
        time.sleep(0.2)
    created = step(docker_client, shipped_plugins, network, "apply")
    assert created.exit_code == 0, created.stderr
    seed = (
        "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name"
        " FROM generate_series(1, 1000000) g"
    )
    query(docker_client, container.name, seed, DATABASE)

    refused = step(docker_client, shipped_plugins, network, "checkpoint", "too big")
    assert refused.exit_code == 1, refused.stderr
    message = refused.document["error"]["message"]
    assert message.startswith(f"not enough disk: copying {DATABASE} needs about "), message
    assert " MB (2 copies: the checkpoint and its spare), " in message  # room for both asked
    assert "), the server has " in message and message.endswith(" MB free")
    left = "SELECT count(*) FROM pg_database WHERE datname LIKE 'ck\\_%'"
    assert query(docker_client, container.name, left) == "0"  # nothing was started


def test_the_image_carries_the_sdks_bytecode(docker_client, shipped_plugins):
    # A reset waits on a run of this image: compiling the SDK again each time costs ~0.1 s.
    probe = "import os, shoal_plugin._runner as r; print(os.path.exists(r.__cached__))"
    out = docker_client.containers.run(
        shipped_plugins["postgres-database"],
        entrypoint=["python3", "-c", probe],
        remove=True,
        labels=SESSION_LABEL,
    )
    assert out.decode().strip() == "True"
