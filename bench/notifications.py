"""Notifications: how soon a webhook hears that a deployment is running, and whether 1,000
events at once drain quickly while the deployment list stays fast.

    python bench/notifications.py [--deployments 1000] [--samples 40] [--users 10]
                                  [--rate 2] [--separate-worker]

One `shoal serve` process (web and SAQ worker, as `shoal up` runs them; `--separate-worker`
runs a `shoal worker` beside a web-only `serve`) on an embedded PostgreSQL. This process plays
the hub (moving deployments to `running` through core.services.lifecycle.move, which records
the event and enqueues its fan-out), hosts the webhook receiver, and loads /deployments with
`--users` signed-in clients, each loading it `--rate` times a second, while the 1,000 events
drain.

Prints: running → webhook received (p50, p95, max), the drain time of 1,000 events, and the
deployment list's p50 / p99 during the drain (goals: p95 ≤ 1 s; ≤ 30 s; p99 ≤ 150 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.deployment_list_latency import free_port, seed, sign_in  # noqa: E402
from core import crypto, db, runtime  # noqa: E402
from core.jobs import make_queue  # noqa: E402
from core.settings import Settings  # noqa: E402

BASELINE_S = 15.0
# Events recorded side by side, as many processes' lifecycle moves would: one after another,
# a loaded machine's round trips made the recording itself take most of 30 s.
RECORDERS = 8


class Receiver:
    """A webhook endpoint noting when each event id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.port = free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrived.setdefault(self.headers["X-Shoal-Event-Id"], time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


async def prepare(dsn: str, receiver: Receiver, key: str, public_url: str) -> list[int]:
    from core.actor import Actor
    from core.notifications import channels

    runtime.install(box=crypto.SecretBox(crypto.key_from_settings(key)))
    runtime.install(settings=Settings(public_url=public_url))
    await channels.create_channel(
        Actor.system("bench"),
        channels.ChannelInput(name="bench", kind="webhook", url=receiver.url, events=["ready"]),
    )
    rows = await db.fetch("SELECT id FROM deployments WHERE status = 'running' ORDER BY id")
    return [row["id"] for row in rows]


async def running_to_received(
    dsn: str, receiver: Receiver, samples: int, deployment_ids: list[int]
) -> list[float]:
    from core.services import lifecycle

    latencies = []
    for deployment_id in deployment_ids[:samples]:
        await db.fetch("UPDATE deployments SET status = 'deploying' WHERE id = $1", deployment_id)
        await db.fetch(
            "INSERT INTO pipeline_runs (deployment, action, status, error, started_at)"
            " VALUES ($1, 'deploy', 'running', '', now())",
            deployment_id,
        )
        started = time.monotonic()
        assert await lifecycle.move(deployment_id, "running")
        key = (await db.fetch("SELECT key FROM notification_events ORDER BY id DESC LIMIT 1"))[0][0]
        for _ in range(6000):  # up to 30 s
            if key in receiver.arrived:
                break
            await asyncio.sleep(0.005)
        latencies.append(receiver.arrived[key] - started)
        await asyncio.sleep(0.2)  # one at a time, as deployments finish in practice
    return latencies


async def burst(
    receiver: Receiver, count: int, base: str, sessions: list, rate: float
) -> list[float]:
    from core.notifications import outbox

    page_times: list[float] = []
    done = asyncio.Event()

    async def user(cookies: httpx.Cookies) -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as client:
            while not done.is_set():
                start = time.perf_counter()
                response = await client.get("/deployments")
                took = time.perf_counter() - start
                page_times.append(took)
                assert response.status_code == 200, response.status_code
                await asyncio.sleep(max(0.0, 1 / rate - took))  # people, not a flood

    before = len(receiver.arrived)
    loaders = [asyncio.create_task(user(c)) for c in sessions]
    await asyncio.sleep(1)
    page_times.clear()
    await asyncio.sleep(BASELINE_S)  # the same page load with nothing to notify: the baseline
    quiet = sorted(page_times)
    print(
        f"deployment list, no events, {len(quiet)} requests in {BASELINE_S:g} s: "
        f"p50 {statistics.median(quiet) * 1000:.0f} ms, "
        f"p99 {quiet[int(0.99 * (len(quiet) - 1))] * 1000:.0f} ms (the machine's baseline)",
        flush=True,
    )
    page_times.clear()
    started = time.monotonic()
    rows = await db.fetch("SELECT id FROM deployments ORDER BY id LIMIT $1", count)
    gate = asyncio.Semaphore(RECORDERS)

    async def record(deployment_id: int) -> None:  # its row, and a kick of the fan-out
        async with gate:
            await outbox.record(
                "ready", f"ready:{deployment_id}:burst", deployment_id=deployment_id
            )

    await asyncio.gather(*(record(row["id"]) for row in rows))  # 1,000 events at once
    recorded = time.monotonic() - started
    at_30 = None
    for _ in range(6000):  # up to 300 s
        if len(receiver.arrived) >= before + len(rows):
            break
        if at_30 is None and time.monotonic() - started >= 30:
            at_30 = len(receiver.arrived) - before
        await asyncio.sleep(0.05)
    drained = time.monotonic() - started
    done.set()
    await asyncio.gather(*loaders)
    arrived = len(receiver.arrived) - before
    print(
        f"1,000 events at once: {arrived} delivered in {drained:.1f} s (goal: all in ≤ 30 s;"
        f" recording them took the first {recorded:.1f} s)"
        + (f"; {at_30} within the first 30 s" if at_30 is not None else "")
    )
    return page_times


async def run(args: argparse.Namespace, dsn: str, base: str, key: str, password: str) -> None:
    receiver = Receiver()
    db.configure(dsn)
    await db.start_pool(RECORDERS)
    queue = make_queue(dsn, RECORDERS)
    await queue.connect()
    runtime.install(queue=queue)
    try:
        ids = await prepare(dsn, receiver, key, base)
        latencies = sorted(await running_to_received(dsn, receiver, args.samples, ids))
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"running → webhook received, {len(latencies)} deployments: "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms (goal p95 ≤ 1000 ms)",
            flush=True,
        )
        sessions = [await sign_in(base, password)] * args.users
        pages = await burst(receiver, 1000, base, sessions, args.rate)
    finally:
        await queue.disconnect()
        await db.close_pool()
    pages.sort()
    print(
        f"deployment list ({args.deployments} deployments, {args.users} users at {args.rate:g}/s)"
        " during the drain: "
        f"{len(pages)} requests, p50 {statistics.median(pages) * 1000:.0f} ms, "
        f"p99 {pages[int(0.99 * (len(pages) - 1))] * 1000:.0f} ms (goal p99 ≤ 150 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rate", type=float, default=2.0, help="page loads per user per second")
    parser.add_argument("--separate-worker", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-notify-") as tmp:
        dsn = db.start_embedded(Path(tmp))
        port, password = free_port(), "bench-password-1"
        key = base64.b64encode(os.urandom(32)).decode()
        env = {
            **os.environ,
            "SHOAL_DATABASE_URL": dsn,
            "SHOAL_DATA_DIR": tmp,
            "SHOAL_BIND": f"127.0.0.1:{port}",
            # BENCH_LOG_LEVEL=info keeps every job's duration in the log (with BENCH_KEEP_LOG).
            "SHOAL_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "warning"),
            "SHOAL_SECRET_KEY": key,
        }
        subprocess.run(
            [sys.executable, "-m", "web.cli", "create-admin", "--password", password],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        asyncio.run(seed(dsn, args.deployments))
        serve = [sys.executable, "-m", "web.cli", "serve"]
        commands = [[*serve, "--no-worker"], [sys.executable, "-m", "web.cli", "worker"]]
        log = open(Path(tmp) / "shoal.log", "w")
        processes = [
            subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log)
            for command in (commands if args.separate_worker else [serve])
        ]
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            how = "serve + worker" if args.separate_worker else "one serve process with its worker"
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"{how}; receiver and load in the bench process; load average {load}")
            asyncio.run(run(args, dsn, base, key, password))
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)
            log.close()
            tail = (Path(tmp) / "shoal.log").read_text().splitlines()
            problems = [line for line in tail if "ERROR" in line or "Traceback" in line]
            print(f"server log: {len(tail)} lines, {len(problems)} errors", *problems[:5], sep="\n")
            if os.environ.get("BENCH_KEEP_LOG"):
                Path(os.environ["BENCH_KEEP_LOG"]).write_text("\n".join(tail))
            db.stop_embedded()


if __name__ == "__main__":
    main()
