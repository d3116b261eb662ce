"""Seeding from a dataset (issue 24): the first deployment's seed (postgres-restore restores the
dump and keeps it as a template database) against the second's (a template copy), each timed
end to end as the agent runs the plugin (`docker run --rm -i` on the deployment's network, the
dump bind-mounted read-only as the agent mounts it), on a real PostgreSQL service container.

    .venv/bin/python bench/data_seed.py [ROWS] [COPIES]

ROWS rows of (int primary key, md5 text, timestamptz) make the dump (4,000,000 ≈ 330 MB in the
database); COPIES later deployments are seeded by template copy (p50 reported). Needs the
images the tests build: shoal/debian-postgresql:bookworm and shoal-test/plugin-postgres-restore:dev
(plugins-sdk/plugins/build.sh --prefix shoal-test/plugin- --tag dev).

Figures on this machine (2 cores shared with other engineers' test runs, so noisy):

    bench/data_seed.py 200000 3     27 MB:  first 7.13 s, later p50 3.46 s  (2.1x)
    bench/data_seed.py 4000000 3   404 MB:  first 52.11 s, later p50 7.97 s  (6.5x)
    bench/data_seed.py 10000000 3  998 MB:  first 61.97 s, later p50 13.47 s (4.6x)

The 1 GB run overlapped a test run on the same cores; about 3 s of every run is the plugin
container's start and its checks before any copy.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pg_docker import DOCKER, PASSWORD, POSTGRES, docker, psql

PLUGIN = "shoal-test/plugin-postgres-restore:dev"
LABEL = "org.shoal.bench=data_seed"


def seed(network: str, dump: Path, sha: str, number: int) -> tuple[float, dict]:
    document = {
        "action": "apply",
        "deployment": {"id": number, "name": f"bench-{number}", "environment": "bench", "urls": {}},
        "params": {"host": "db", "admin_password": PASSWORD, "dataset": "bench"},
        "secrets": {},
        "inputs": {},
        "data": {
            "dataset": {"name": "bench", "version": 1, "sha256": sha, "format": "custom",
                        "size_bytes": dump.stat().st_size, "path": "/shoal/dataset"},
        },
    }  # fmt: skip
    started = time.monotonic()
    out = docker(
        "run", "--rm", "-i", "--init", "--network", network, "--label", LABEL,
        "-v", f"{dump}:/shoal/dataset:ro", PLUGIN, stdin=json.dumps(document),
    )  # fmt: skip
    return time.monotonic() - started, json.loads(out)["outputs"]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    network = f"shoal-bench-seed-{uuid.uuid4().hex[:8]}"
    db = f"{network}-db"
    docker("network", "create", "--label", LABEL, network)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            docker(
                "run", "-d", "--name", db, "--network", network, "--network-alias", "db",
                "--label", LABEL, "-e", f"POSTGRES_PASSWORD={PASSWORD}", POSTGRES,
                "-c", "fsync=off", "-c", "max_wal_size=4GB",
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while subprocess.run(
                [DOCKER, "exec", "-u", "postgres", db, "pg_isready", "-h", "/tmp"],
                capture_output=True,
            ).returncode:
                if time.monotonic() > deadline:
                    raise SystemExit("PostgreSQL did not start")
                time.sleep(0.3)
            psql(db, "CREATE DATABASE source")
            psql(
                db,
                "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name, now() AS at"
                f" FROM generate_series(1, {rows}) g; ALTER TABLE items ADD PRIMARY KEY (id)",
                "source",
            )
            size = int(psql(db, "SELECT pg_database_size('source')"))
            dump = Path(tmp) / "bench.dump"
            dumped = subprocess.run(
                [DOCKER, "exec", "-u", "postgres", db, "pg_dump", "-h", "/tmp", "-Fc", "-Z", "1",
                 "--no-owner", "source"],
                capture_output=True,
            )  # fmt: skip
            dump.write_bytes(dumped.stdout)
            sha = hashlib.sha256(dumped.stdout).hexdigest()
            dump_mb = dump.stat().st_size / 1e6
            print(f"database: {rows:,} rows, {size / 1e6:.0f} MB; dump {dump_mb:.0f} MB")
            first_s, first = seed(network, dump, sha, 1)
            assert first["seeded_by"] == "restore", first
            times = []
            for number in range(2, copies + 2):
                took, outputs = seed(network, dump, sha, number)
                assert outputs["seeded_by"] == "template", outputs
                times.append(took)
            count = psql(db, "SELECT count(*) FROM items", f"app_bench_{copies + 1}")
            assert count == str(rows), count
            p50 = statistics.median(times)
            print(f"first deployment (restore, kept as template): {first_s:.2f} s")
            print(
                f"later deployments (template copy, {copies} runs): p50 {p50:.2f} s,"
                f" min {min(times):.2f} s, max {max(times):.2f} s"
            )
            print(f"ratio first / later: {first_s / p50:.1f}x")
    finally:
        subprocess.run([DOCKER, "rm", "-f", "-v", db], capture_output=True)
        subprocess.run([DOCKER, "network", "rm", network], capture_output=True)


if __name__ == "__main__":
    main()
