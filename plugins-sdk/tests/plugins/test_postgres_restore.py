"""postgres-restore against a real PostgreSQL service, with the dataset's file mounted as the
agent mounts it: the first deployment restores the dump and leaves a template, the second is a
template copy; a plain SQL dump restores too; a broken dump fails clearly and keeps nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from plugin_containers import PG_PASSWORD, run_plugin

from shoal_plugin import Deployment, invocation_document

pytestmark = pytest.mark.docker

ROWS = 2000
MOUNT = "/shoal/dataset"


def query(docker_client, postgres: str, sql: str, database: str = "postgres") -> str:
    result = docker_client.containers.get(postgres).exec_run(
        ["psql", "-h", "/tmp", "-U", "postgres", "-d", database, "-tA", "-c", sql],
        user="postgres",
    )
    assert result.exit_code == 0, result.output
    return result.output.decode().strip()


def dump(docker_client, postgres: str, tmp_path: Path, fmt: str) -> tuple[Path, str]:
    """A dump of a small shop database, made by the server's own pg_dump, stored by its hash."""
    source = f"seed_src_{fmt}"
    query(docker_client, postgres, f"DROP DATABASE IF EXISTS {source}")
    query(docker_client, postgres, f"CREATE DATABASE {source}")
    table = (
        "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name "
        f"FROM generate_series(1, {ROWS}) g"
    )
    query(docker_client, postgres, table, source)
    flag = "-Fc" if fmt == "custom" else "-Fp"
    made = docker_client.containers.get(postgres).exec_run(
        ["pg_dump", "-h", "/tmp", "-U", "postgres", flag, "--no-owner", "--no-privileges", source],
        user="postgres",
        demux=True,
    )
    assert made.exit_code == 0, made.output
    body = made.output[0]
    sha = hashlib.sha256(body).hexdigest()
    path = tmp_path / sha
    path.write_bytes(body)
    return path, sha


def seed(docker_client, image, network, deployment, path: Path, sha: str, fmt: str, action="apply"):
    data = {"dataset": {"name": "shop", "version": 1, "sha256": sha, "format": fmt, "path": MOUNT}}
    params = {"host": "db", "admin_password": PG_PASSWORD, "dataset": "shop"}
    document = invocation_document(action, params, deployment=deployment, data=data)
    return run_plugin(
        docker_client,
        image,
        document,
        network=network,
        volumes={str(path): {"bind": MOUNT, "mode": "ro"}},
    )


def test_first_restore_then_template_copy_and_rollback(
    docker_client, shipped_plugins, pg_network, postgres, tmp_path
):
    image = shipped_plugins["postgres-restore"]
    path, sha = dump(docker_client, postgres, tmp_path, "custom")
    first = seed(docker_client, image, pg_network, Deployment(41, "seed-a"), path, sha, "custom")
    assert first.exit_code == 0, first.stderr
    assert first.document["outputs"]["seeded_by"] == "restore"
    assert "restored dataset shop v1" in first.stderr
    second = seed(docker_client, image, pg_network, Deployment(42, "seed-b"), path, sha, "custom")
    assert second.exit_code == 0, second.stderr
    assert second.document["outputs"]["seeded_by"] == "template"
    assert "by template copy" in second.stderr
    for database in ("app_seed_a", "app_seed_b"):
        assert query(docker_client, postgres, "SELECT count(*) FROM items", database) == str(ROWS)
        owner = "SELECT tableowner FROM pg_tables WHERE tablename = 'items'"
        assert query(docker_client, postgres, owner, database) == database
    query(docker_client, postgres, "DELETE FROM items WHERE id > 10", "app_seed_b")
    reset = seed(
        docker_client, image, pg_network, Deployment(42, "seed-b"), path, sha, "custom", "reset"
    )
    assert reset.exit_code == 0, reset.stderr
    assert "app_seed_b reset to its seeded state" in reset.stderr
    assert query(docker_client, postgres, "SELECT count(*) FROM items", "app_seed_b") == str(ROWS)
    owner = "SELECT tableowner FROM pg_tables WHERE tablename = 'items'"
    assert query(docker_client, postgres, owner, "app_seed_b") == "app_seed_b"
    template = f"shoal_ds_{sha[:48]}"
    assert (
        query(
            docker_client,
            postgres,
            f"SELECT datistemplate FROM pg_database WHERE datname = '{template}'",
        )
        == "t"
    )

    gone = seed(
        docker_client, image, pg_network, Deployment(41, "seed-a"), path, sha, "custom", "rollback"
    )
    assert gone.exit_code == 0, gone.stderr
    listed = query(docker_client, postgres, "SELECT string_agg(datname, ',') FROM pg_database")
    assert "app_seed_a" not in listed and "app_seed_b" in listed and template in listed


def test_a_plain_dump_restores_and_a_broken_one_keeps_nothing(
    docker_client, shipped_plugins, pg_network, postgres, tmp_path
):
    image = shipped_plugins["postgres-restore"]
    path, sha = dump(docker_client, postgres, tmp_path, "plain")
    plain = seed(docker_client, image, pg_network, Deployment(43, "seed-plain"), path, sha, "plain")
    assert plain.exit_code == 0, plain.stderr
    assert query(docker_client, postgres, "SELECT count(*) FROM items", "app_seed_plain") == str(
        ROWS
    )

    broken = tmp_path / "broken"
    broken.write_bytes(
        path.read_bytes()[: len(path.read_bytes()) // 2] + b"\nCREATE TABLE oops (;\n"
    )
    bad_sha = hashlib.sha256(broken.read_bytes()).hexdigest()
    failed = seed(
        docker_client, image, pg_network, Deployment(44, "seed-bad"), broken, bad_sha, "plain"
    )
    assert failed.exit_code != 0
    assert "did not restore, nothing was kept" in failed.stdout + failed.stderr
    listed = query(docker_client, postgres, "SELECT string_agg(datname, ',') FROM pg_database")
    assert "app_seed_bad" not in listed and bad_sha[:40] not in listed


def act(docker_client, image, network, deployment, action: str, checkpoint: str = ""):
    """A data action as the agent runs it: the apply's params, no dataset file."""
    params = {"host": "db", "admin_password": PG_PASSWORD, "dataset": "shop"}
    data = {"checkpoint": checkpoint} if checkpoint else None
    document = invocation_document(action, params, deployment=deployment, data=data)
    return run_plugin(docker_client, image, document, network=network)


def test_checkpoints_of_a_seeded_database(
    docker_client, shipped_plugins, pg_network, postgres, tmp_path
):
    image, deployment = shipped_plugins["postgres-restore"], Deployment(45, "ck")
    database = "app_ck"
    path, sha = dump(docker_client, postgres, tmp_path, "custom")
    seeded = seed(docker_client, image, pg_network, deployment, path, sha, "custom")
    assert seeded.exit_code == 0, seeded.stderr

    def count() -> str:
        return query(docker_client, postgres, "SELECT count(*) FROM items", database)

    query(docker_client, postgres, "DELETE FROM items WHERE id > 1000", database)
    saved = act(docker_client, image, pg_network, deployment, "checkpoint", "half")
    assert saved.exit_code == 0, saved.stderr
    assert saved.document["outputs"]["bytes"] > 0 and saved.document["outputs"]["prepare"]
    prepared = act(docker_client, image, pg_network, deployment, "prepare_reset", "half")
    assert prepared.exit_code == 0, prepared.stderr
    used = act(docker_client, image, pg_network, deployment, "usage").document["outputs"]
    assert used["checkpoint_bytes"] == saved.document["outputs"]["bytes"]  # copy + spare

    # Reset to the checkpoint: the spare swapped in; a reset right after (no prepare_reset in
    # between) copies the checkpoint and still gives its rows.
    for how in ("(its spare copy swapped in)", "(copied)"):
        query(docker_client, postgres, "DELETE FROM items WHERE id > 10", database)
        reset = act(docker_client, image, pg_network, deployment, "reset", "half")
        assert reset.exit_code == 0, reset.stderr
        assert f"{database} reset to checkpoint 'half' {how}" in reset.stderr
        assert count() == "1000"
    owner = "SELECT tableowner FROM pg_tables WHERE tablename = 'items'"
    assert query(docker_client, postgres, owner, database) == database

    # The database reset to a checkpoint still knows its template: back to the seeded state.
    seeded_again = act(docker_client, image, pg_network, deployment, "reset")
    assert seeded_again.exit_code == 0, seeded_again.stderr
    assert count() == str(ROWS)

    template = f"shoal_ds_{sha[:48]}"
    checkpoints = "SELECT count(*) FROM pg_database WHERE datname LIKE 'ck\\_%'"
    assert query(docker_client, postgres, checkpoints) != "0"
    gone = act(docker_client, image, pg_network, deployment, "rollback")
    assert gone.exit_code == 0, gone.stderr
    assert query(docker_client, postgres, checkpoints) == "0"
    listed = query(docker_client, postgres, "SELECT string_agg(datname, ',') FROM pg_database")
    assert database not in listed.split(",") and template in listed.split(",")
