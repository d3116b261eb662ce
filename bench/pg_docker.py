"""What the data benches share: the docker CLI, and psql run inside a PostgreSQL container.

Imported by bench/data_reset.py and bench/data_seed.py (run as scripts, so bench/ is on the
path)."""

from __future__ import annotations

import subprocess
from pathlib import Path

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
POSTGRES = "shoal/debian-postgresql:bookworm"
PASSWORD = "bench-admin"


def docker(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([DOCKER, *args], input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"docker {args[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def psql(db: str, sql: str, database: str = "postgres") -> str:
    return docker(
        "exec", "-u", "postgres", db, "psql", "-h", "/tmp", "-X", "-v", "ON_ERROR_STOP=1",
        "-d", database, "-tAc", sql,
    ).strip()  # fmt: skip
