"""Latency of the deployment list page with many deployments in the database, under
concurrent signed-in users, served by one `shoal serve` process (web only).

    python bench/deployment_list_latency.py [--deployments 5000] [--users 50] [--seconds 20]
                                            [--as-admin]

By default each of the `--users` connections is a different non-admin user whose team has
full access to the environment (so every request also reads that user's grants); with
`--as-admin` they all share one admin session.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core import db  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def seed(dsn: str, count: int) -> None:
    conn = await asyncpg.connect(dsn)
    env = await conn.fetchval(
        "INSERT INTO environments (name, description, base_domain, cleanup_hours, tls_mode,"
        " created_at) VALUES ('qa', '', 'qa.test', 168, 'off', now()) RETURNING id"
    )
    project = await conn.fetchval(
        "INSERT INTO projects (name, description, cpu, memory_mb, created_at)"
        " VALUES ('shop', '', 0.01, 16, now()) RETURNING id"
    )
    version = await conn.fetchval(
        "INSERT INTO pipeline_versions (project, version, graph, message, created_at)"
        ' VALUES ($1, 1, \'{"nodes": [], "edges": [], "layout": {}}\', \'\', now())'
        " RETURNING id",
        project,
    )
    statuses = ["running", "running", "running", "failed", "deleted", "deploying"]
    rows = [
        (
            project,
            env,
            version,
            f"d{i}",
            statuses[i % len(statuses)],
            '{"web": "v1"}',
            "{}",
            "",
            0.01,
            16,
        )
        for i in range(count)
    ]
    await conn.executemany(
        "INSERT INTO deployments (project, environment, pipeline_version, name, status, tags,"
        " ports, error, cpu, memory_mb, created_at, updated_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, now(), now(),"
        " now() + interval '3 days')",
        rows,
    )
    await conn.execute("ANALYZE")  # what autovacuum does within a minute on a real database
    await conn.close()


async def add_users(dsn: str, count: int, password: str) -> list[str]:
    """`count` non-admin users in one team with full access to the environment."""
    from core.actor import Actor
    from core.services import accounts, teams

    db.configure(dsn)
    await db.start_pool(2)
    try:
        admin = Actor.system("bench")
        team = await teams.create_team(admin, "qa")
        env = (await db.fetch("SELECT id FROM environments WHERE name = 'qa'"))[0]["id"]
        await teams.grant(admin, team.id, "environment", env, "full")
        names = []
        for i in range(count):
            user = await accounts.create_user(admin, username=f"qa{i}", password=password)
            await teams.add_member(admin, team.id, user.id)
            names.append(user.username)
        return names
    finally:
        await db.close_pool()


async def sign_in(base: str, password: str, username: str = "admin") -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        await client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        assert "shoal_session" in client.cookies, f"{username} could not sign in"
        return client.cookies


def cookie_header(cookies: httpx.Cookies) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def load(base: str, sessions: list[httpx.Cookies], seconds: float) -> list[float]:
    """One closed-loop client per session; a Python load generator when wrk is missing."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def user(cookies: httpx.Cookies) -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as client:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                response = await client.get("/deployments")
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code

    await asyncio.gather(*(user(c) for c in sessions))
    return latencies


# wrk cannot give each connection its own header, so requests take the sessions in turn.
WRK_SCRIPT = """
local cookies = {%s}
local next_cookie = 0
request = function()
  next_cookie = next_cookie %% #cookies + 1
  return wrk.format("GET", "/deployments", {["Cookie"] = cookies[next_cookie]})
end
"""


def run_wrk(base: str, cookies: list[str], users: int, seconds: float, tmp: str) -> str:
    """Closed-loop load from `users` keep-alive connections, latency percentiles from wrk."""
    script = Path(tmp) / "sessions.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{c}"' for c in cookies))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{users}",
            f"-d{int(seconds)}s",
            "--latency",
            "-s",
            str(script),
            f"{base}/deployments",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (
        f"deployment list, {users} users (wrk), one `serve` process: {float(rate):.0f} req/s, "
        f"p50 {p50}, p99 {p99}" + (f", {errors.group(1)} non-2xx" if errors else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=5000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--as-admin", action="store_true", help="one shared admin session")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-list-") as tmp:
        dsn = db.start_embedded(Path(tmp))
        port, password = free_port(), "bench-password-1"
        env = {
            **os.environ,
            "SHOAL_DATABASE_URL": dsn,
            "SHOAL_DATA_DIR": tmp,
            "SHOAL_BIND": f"127.0.0.1:{port}",
            "SHOAL_LOG_LEVEL": "warning",
            "SHOAL_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
        subprocess.run(
            [sys.executable, "-m", "web.cli", "create-admin", "--password", password],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        asyncio.run(seed(dsn, args.deployments))
        usernames = [] if args.as_admin else asyncio.run(add_users(dsn, args.users, password))
        server = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--no-worker"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            sessions = [asyncio.run(sign_in(base, password, name)) for name in usernames] or [
                asyncio.run(sign_in(base, password))
            ] * args.users
            asyncio.run(load(base, sessions[:5], 2))  # warm-up
            who = "one admin session" if args.as_admin else f"{args.users} different users"
            print(f"{args.deployments} deployments; {who}")
            if shutil.which("wrk"):
                # wrk (C) as the load generator: a Python client on the same 2 cores would
                # spend as much CPU as the server and blur the tail.
                cookies = [cookie_header(c) for c in sessions]
                print(run_wrk(base, cookies, args.users, args.seconds, tmp))
                return
            latencies = sorted(asyncio.run(load(base, sessions, args.seconds)))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
            db.stop_embedded()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(
        f"deployment list, {args.deployments} deployments, {args.users} users, one process: "
        f"{len(latencies) / args.seconds:.0f} req/s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
