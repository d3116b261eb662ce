"""sql-script: run SQL from the params against a PostgreSQL URL, with psql's output captured.

The output becomes ``outputs.output`` for later steps and the step's log. ``rollback_sql``, when
given, runs on rollback (e.g. to undo a seed). Stops at the first error; by default the whole
script is one transaction, so a failed script leaves nothing half-done.
"""

from __future__ import annotations

import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from typing import Literal

from shoal_plugin import Context, InvalidInput, PluginError, param, run, wait_for_tcp

FORMAT_FLAGS = {"aligned": [], "unaligned": ["-A"], "csv": ["--csv"]}


@dataclass
class Params:
    """Run SQL against a PostgreSQL database and capture its output."""

    url: str = param(description="postgresql://user:password@host:port/database", secret=True)
    sql: str = param(description="SQL to run on apply", min_length=1)
    rollback_sql: str = param("", description="SQL to run on rollback (none if empty)")
    format: Literal["aligned", "unaligned", "csv"] = param("aligned", description="Output format")
    single_transaction: bool = param(True, description="Run the script as one transaction")
    quiet: bool = param(True, description="Leave out command tags (CREATE TABLE, INSERT 0 1)")
    connect_timeout_s: float = param(60.0, description="Wait this long for the server", minimum=1)
    max_output_chars: int = param(65536, description="Keep at most this much output", minimum=0)


def server_address(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise InvalidInput({"params.url": "expected postgresql://user:password@host:port/database"})
    try:
        return parts.hostname, parts.port or 5432
    except ValueError as exc:
        raise InvalidInput({"params.url": f"bad port: {exc}"}) from None


def psql(ctx: Context[Params], sql: str, *, script: bool) -> str:
    command = ["psql", ctx.params.url, "-X", "-v", "ON_ERROR_STOP=1"]
    if script:
        command += FORMAT_FLAGS[ctx.params.format]
        command += ["-1"] if ctx.params.single_transaction else []
        command += ["-q"] if ctx.params.quiet else []
    env = {"PGCONNECT_TIMEOUT": "5", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, input=sql, env=env, capture_output=True, text=True)
    if done.stderr.strip():
        ctx.log.info("psql: %s", done.stderr.strip())
    if done.returncode != 0:
        raise PluginError(f"psql failed: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout


def wait_for_server(ctx: Context[Params]) -> None:
    host, port = server_address(ctx.params.url)
    deadline = time.monotonic() + ctx.params.connect_timeout_s
    wait_for_tcp(host, port, timeout_s=ctx.params.connect_timeout_s)
    while True:
        try:
            psql(ctx, "SELECT 1;", script=False)
            return
        except PluginError as exc:
            if time.monotonic() > deadline or "authentication failed" in exc.message:
                raise
            time.sleep(0.5)


def run_script(ctx: Context[Params], sql: str) -> dict[str, object]:
    wait_for_server(ctx)
    host, port = server_address(ctx.params.url)
    ctx.log.info("running %d characters of SQL on %s:%s", len(sql), host, port)
    output = psql(ctx, sql, script=True)
    for line in output.splitlines()[:200]:
        ctx.log.info("| %s", line)
    limit = ctx.params.max_output_chars
    return {"output": output[:limit], "truncated": len(output) > limit}


def apply(ctx: Context[Params]) -> dict[str, object]:
    return run_script(ctx, ctx.params.sql)


def rollback(ctx: Context[Params]) -> dict[str, object]:
    if not ctx.params.rollback_sql:
        ctx.log.info("no rollback_sql: nothing to undo")
        return {}
    return run_script(ctx, ctx.params.rollback_sql)


if __name__ == "__main__":
    run(apply=apply, rollback=rollback, params=Params)
