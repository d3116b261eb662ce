"""Data per deployment (issue 24): a second deployment's copy of a seeded database by template
copy against a plain restore of its dump (ratio), and reset to a checkpoint as users get it
(p50), on a real PostgreSQL service container with the shipped postgres-database plugin run as
the agent runs it (`docker run --rm -i` on the deployment's network).

    .venv/bin/python bench/data_reset.py [ROWS] [RESETS]

ROWS rows of (int, md5 text, timestamptz) make the database (4,000,000 ≈ 400 MB by default;
10,000,000 ≈ 1 GB). "plain restore" is `pg_dump -Fc` once, then `createdb` + `pg_restore -j 2`
timed; "template copy" is `CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`, what the plugin's
checkpoint and prepare_reset do. As the agent does, prepare_reset runs after the checkpoint and
after each reset (a spare copy of the checkpoint; not waited for by the user, timed apart), so
a reset is the plugin's swap of the spare by two renames. Each reset is timed from the moment
it is asked for to the plugin's exit, two ways: "held", the plugin's container started a few
seconds before and waiting for its stdin (the agent holds the next reset's plugin so,
agent/next_reset.py); "cold", the container started then (the agent's way when no held run
is ready). Between resets 10 % of the rows are deleted and ~3 s pass ("the test suite"). The
agent's stop and start of the services downstream (their own start and health-check time) are
not included: through the real agent (tests/integration/plugins/test_data_actions.py, a
busybox web service, 100,000 rows) a whole reset answered in 1.4-1.9 s with the held plugin
ready (the agent's log: services stopped 0.38 s, plugin 0.46 s, services started and healthy
1.08 s), 2.2-2.8 s without.

Figures on this machine (2 cores shared with four other engineers' test runs, load average
about 7, so noisy), `.venv/bin/python bench/data_reset.py 10000000 7` (998 MB):

    plain restore (createdb + pg_restore -j 2): 56.65 s (dump: 44.1 s)
    template copy (CREATE DATABASE … TEMPLATE): 6.05 s
    ratio restore / template copy: 9.4x
    checkpoint (plugin run): 3.66 s
    reset to checkpoint, the plugin held started as the agent does (7 runs): p50 1.17 s,
        p90 1.69 s, min 0.92 s, max 1.69 s
    reset, the plugin's container started then (7 runs): p50 1.89 s, p90 2.64 s, min 1.43 s,
        max 2.64 s
      a container's floor (run --rm of `true` in the image): p50 1.17 s, p90 1.57 s
    prepare_reset (in the background, not waited for): p50 7.01 s, p90 11.43 s
    reset with no spare ready (copies the checkpoint): 4.46 s

Before the spare copy (the copy inside the reset, no held plugin), on 206 MB: reset p50 7.48 s,
p90 8.89 s; the same run of this script on 998 MB earlier the same night, before the held
plugin (load average ~9): reset p50 2.44 s, p90 3.54 s, no spare 12.91 s.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import uuid

from pg_docker import DOCKER, PASSWORD, POSTGRES, docker, psql

# As plugins-sdk/plugins/build.sh --prefix shoal-test/plugin- --tag dev builds it (the tests do).
PLUGIN = "shoal-test/plugin-postgres-database:dev"
LABEL = "org.shoal.bench=data_reset"


def held(network: str) -> subprocess.Popen:
    """A plugin container started, its stdin not written yet: as the agent holds the next
    reset's plugin once prepare_reset is done (agent/next_reset.py)."""
    command = [DOCKER, "run", "--rm", "-i", "--init", "--network", network, "--label", LABEL]
    return subprocess.Popen(
        [*command, PLUGIN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def plugin(
    network: str, action: str, checkpoint: str = "", waiting: subprocess.Popen | None = None
) -> tuple[float, dict]:
    document = {
        "action": action,
        "deployment": {"id": 1, "name": "bench", "environment": "bench", "urls": {}},
        "params": {"host": "db", "admin_password": PASSWORD},
        "secrets": {},
        "inputs": {},
        **({"data": {"checkpoint": checkpoint}} if checkpoint else {}),
    }
    started = time.monotonic()
    if waiting is not None:
        out = waiting.communicate(json.dumps(document))[0]
        if waiting.returncode != 0:
            raise SystemExit(f"the held plugin failed: {out}")
        return time.monotonic() - started, json.loads(out)
    out = docker(
        "run", "--rm", "-i", "--init", "--network", network, "--label", LABEL, PLUGIN,
        stdin=json.dumps(document),
    )  # fmt: skip
    return time.monotonic() - started, json.loads(out)


FLOOR = ("run", "--rm", "--init", "--entrypoint", "true", "--label", LABEL, "--network")


def summary(times: list[float]) -> str:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    return (
        f"p50 {statistics.median(times):.2f} s, p90 {p90:.2f} s,"
        f" min {times[0]:.2f} s, max {times[-1]:.2f} s"
    )


def timed(step) -> float:
    started = time.monotonic()
    step()
    return time.monotonic() - started


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000
    resets = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    network = f"shoal-bench-data-{uuid.uuid4().hex[:8]}"
    db = f"{network}-db"
    docker("network", "create", "--label", LABEL, network)
    try:
        docker(
            "run", "-d", "--name", db, "--network", network, "--network-alias", "db",
            "--label", LABEL, "-e", f"POSTGRES_PASSWORD={PASSWORD}", POSTGRES,
            "-c", "fsync=off", "-c", "max_wal_size=4GB",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while subprocess.run(
            [DOCKER, "exec", "-u", "postgres", db, "pg_isready", "-h", "/tmp"], capture_output=True
        ).returncode:
            if time.monotonic() > deadline:
                raise SystemExit("PostgreSQL did not start")
            time.sleep(0.3)
        applied, outputs = plugin(network, "apply")
        database = outputs["outputs"]["database"]
        seed_s = timed(
            lambda: psql(
                db,
                "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name, now() AS at"
                f" FROM generate_series(1, {rows}) g; ALTER TABLE items ADD PRIMARY KEY (id)",
                database,
            )
        )
        size = int(psql(db, f"SELECT pg_database_size('{database}')"))
        print(f"database: {rows:,} rows, {size / 1e6:.0f} MB (seeded in {seed_s:.1f} s)")

        dump_s = timed(
            lambda: docker(
                "exec",
                "-u",
                "postgres",
                db,
                "pg_dump",
                "-h",
                "/tmp",
                "-Fc",
                "-Z",
                "1",
                "-f",
                "/tmp/bench.dump",
                database,
            )
        )

        def restore() -> None:
            psql(db, "CREATE DATABASE restored")
            docker(
                "exec", "-u", "postgres", db, "pg_restore", "-h", "/tmp", "-j", "2",
                "-d", "restored", "/tmp/bench.dump",
            )  # fmt: skip

        restore_s = timed(restore)
        copy_s = timed(
            lambda: psql(db, f'CREATE DATABASE copied TEMPLATE "{database}" STRATEGY FILE_COPY')
        )
        print(
            f"plain restore (createdb + pg_restore -j 2): {restore_s:.2f} s (dump: {dump_s:.1f} s)"
        )
        print(f"template copy (CREATE DATABASE … TEMPLATE): {copy_s:.2f} s")
        print(f"ratio restore / template copy: {restore_s / copy_s:.1f}x")
        psql(db, "DROP DATABASE restored")
        psql(db, "DROP DATABASE copied")

        checkpoint_s, _ = plugin(network, "checkpoint", "bench")
        print(f"checkpoint (plugin run): {checkpoint_s:.2f} s")
        # As the agent does: prepare_reset after the checkpoint and after each reset, in the
        # background (the user does not wait for it), so each reset swaps a spare in.
        prepares = [plugin(network, "prepare_reset", "bench")[0]]
        times: dict[str, list[float]] = {"held": [], "cold": []}
        floors = []
        for way in ("held", "cold"):
            for _ in range(resets):
                waiting = held(network) if way == "held" else None
                since = time.monotonic()
                psql(db, "DELETE FROM items WHERE id % 10 = 0", database)  # "the test suite"
                time.sleep(max(0.0, 3.0 - (time.monotonic() - since)))  # runs a few seconds
                took, result = plugin(network, "reset", "bench", waiting)
                times[way].append(took)
                assert psql(db, "SELECT count(*) FROM items", database) == str(rows), result
                prepares.append(plugin(network, "prepare_reset", "bench")[0])
                floors.append(timed(lambda: docker(*FLOOR, network, PLUGIN)))
        print(
            f"reset to checkpoint, the plugin held started as the agent does ({resets} runs):"
            f" {summary(times['held'])}"
        )
        cold = summary(times["cold"])
        print(f"reset, the plugin's container started then ({resets} runs): {cold}")
        print(f"  a container's floor (run --rm of `true` in the image): {summary(floors)}")
        print(f"  (apply: {applied:.2f} s)")
        print(f"prepare_reset (in the background, not waited for): {summary(prepares)}")
        plugin(network, "reset", "bench")  # takes the spare; the next one has none ready
        slow_s, _ = plugin(network, "reset", "bench")
        print(f"reset with no spare ready (copies the checkpoint): {slow_s:.2f} s")
    finally:
        subprocess.run([DOCKER, "rm", "-f", db], capture_output=True)
        subprocess.run([DOCKER, "network", "rm", network], capture_output=True)


if __name__ == "__main__":
    main()
