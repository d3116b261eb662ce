"""Latency of the deployment list page with many deployments in the database, under
concurrent signed-in users, served by one `shoal serve` process (web only).

    python bench/deployment_list_latency.py [--deployments 5000] [--users 50] [--seconds 20]
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
    await conn.close()


async def sign_in(base: str, password: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        await client.post(
            "/login", data={"username": "admin", "password": password, "csrf_token": token}
        )
        return client.cookies


async def load(base: str, cookies: httpx.Cookies, users: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)

    async def user(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            response = await client.get("/deployments")
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code

    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=30) as c:
        await asyncio.gather(*(user(c) for _ in range(users)))
    return latencies


def run_wrk(base: str, cookie: str, users: int, seconds: float) -> str:
    """Closed-loop load from `users` keep-alive connections, latency percentiles from wrk."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{users}",
            f"-d{int(seconds)}s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            f"{base}/deployments",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
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
            cookies = asyncio.run(sign_in(base, password))
            asyncio.run(load(base, cookies, 5, 2))  # warm-up
            if shutil.which("wrk"):
                # wrk (C) as the load generator: a Python client on the same 2 cores would
                # spend as much CPU as the server and blur the tail.
                cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
                print(run_wrk(base, cookie, args.users, args.seconds))
                return
            latencies = sorted(asyncio.run(load(base, cookies, args.users, args.seconds)))
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
