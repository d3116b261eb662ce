"""Benchmark: time from a route change to the new host answering through Caddy, and Caddy's RSS,
with 10, 1,000 and 10,000 hosts already routed.

A "route change" is what Shoal does when a deployment becomes running: a row is written,
`request_sync()` is called; the clock stops at the first 200 for the new host through Caddy
(polled on fresh connections). Everything is real and local: an embedded PostgreSQL, the
Debian Caddy started the way `shoal up` starts it, and a tiny upstream on 127.0.0.1.

    .venv/bin/python bench/ingress_route_change.py [--sizes 10,1000,10000] [--changes 30]

Targets (issue 6): p95 < 100 ms at 1,000 hosts, < 250 ms at 10,000; Caddy < 150 MB at 10,000.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import db as core_db
from core.ingress.caddy import CaddyAdmin
from core.ingress.config import IngressOptions
from core.ingress.process import CaddyProcess, free_loopback_port
from core.ingress.syncer import IngressSyncer
from core.tables import ALL_TABLES, Deployment


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _reset(hosts: int, upstream_port: int) -> tuple[int, int]:
    from core.piccolo_conf import DB

    names = ", ".join(f'"{t._meta.tablename}"' for t in ALL_TABLES)
    await DB.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    env = await DB.run_querystring(
        _q("INSERT INTO environments (name, base_domain) VALUES ('qa', 'bench.test') RETURNING id")
    )
    env_id = env[0]["id"]
    node = await DB.run_querystring(
        _q(
            "INSERT INTO nodes (environment, name, host, publish_address, status) "
            f"VALUES ({env_id}, 'n1', 'n1', '127.0.0.1', 'online') RETURNING id"
        )
    )
    node_id = node[0]["id"]
    await DB.run_querystring(
        _q(
            "INSERT INTO deployments (environment, node, name, status, ports) "
            f"SELECT {env_id}, {node_id}, 'd' || i, 'running', "
            f"jsonb_build_object('web', {upstream_port}) FROM generate_series(1, {hosts}) AS i"
        )
    )
    return env_id, node_id


def _q(sql: str):
    from piccolo.querystring import QueryString

    return QueryString(sql)


async def _add_deployment(env_id: int, node_id: int, name: str, port: int) -> None:
    await Deployment.insert(
        Deployment(
            environment=env_id, node=node_id, name=name, status="running", ports={"web": port}
        )
    ).run()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _wait_answer(
    client: httpx.AsyncClient, port: int, host: str, limit: float = 10.0
) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        try:
            response = await client.get(f"http://127.0.0.1:{port}/", headers={"Host": host})
            if response.status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.002)
    raise TimeoutError(f"{host} did not answer within {limit} s")


async def run(sizes: list[int], changes: int, verbose: bool) -> None:
    upstream = await asyncio.start_server(_answer, "127.0.0.1", 0)
    upstream_port = upstream.sockets[0].getsockname()[1]
    ingress_port = free_loopback_port()
    # One client made up front (making one costs ~30 ms); no keep-alive, as a reload closes
    # idle connections and each poll should see the config of that moment.
    client = httpx.AsyncClient(timeout=2, limits=httpx.Limits(max_keepalive_connections=0))
    with tempfile.TemporaryDirectory(prefix="shoal-bench-ingress-") as tmp:
        core_db.configure(core_db.start_embedded(Path(tmp) / "pg"))
        await core_db.migrate()
        await core_db.start_pool(max_size=4)
        caddy = CaddyProcess(Path(tmp) / "caddy")
        await caddy.start()
        options = IngressOptions(
            listen=f"127.0.0.1:{ingress_port}", tls_listen="", public_url="http://shoal"
        )
        print(f"caddy pid {caddy.pid}, ingress 127.0.0.1:{ingress_port}, {changes} changes each")
        print("hosts   p50 ms  p95 ms  max ms  caddy load ms (median)  caddy RSS MB")
        try:
            for size in sizes:
                env_id, node_id = await _reset(size, upstream_port)
                syncer = IngressSyncer(
                    CaddyAdmin(caddy.admin_url), options, owns_caddy=True, check_interval=5
                )
                await syncer.start()
                await _wait_answer(client, ingress_port, f"web.d{size}.qa.bench.test", 30)
                timings, loads = [], []
                for index in range(changes):
                    name = f"new{index}"
                    started = time.perf_counter()
                    await _add_deployment(env_id, node_id, name, upstream_port)
                    syncer.request_sync()
                    await _wait_answer(client, ingress_port, f"web.{name}.qa.bench.test")
                    timings.append((time.perf_counter() - started) * 1000)
                    loads.append(syncer.status.last_load_ms or 0.0)
                    await asyncio.sleep(0.05)
                await syncer.stop()
                if verbose:
                    print("   all:", " ".join(f"{t:.0f}" for t in timings))
                timings.sort()
                p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
                print(
                    f"{size:>6} {statistics.median(timings):7.1f} {p95:7.1f} {timings[-1]:7.1f}"
                    f" {statistics.median(loads):20.1f} {_rss_mb(caddy.pid):15.1f}"
                )
        finally:
            await caddy.stop()
            await core_db.close_pool()
            core_db.stop_embedded()
            upstream.close()
            await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("-v", action="store_true", help="print every timing")
    args = parser.parse_args()
    asyncio.run(run([int(s) for s in args.sizes.split(",")], args.changes, args.v))


if __name__ == "__main__":
    main()
