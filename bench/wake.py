"""Benchmark (issue 20): the first request to a sleeping 3-service deployment → the app served.

Everything real and local: an embedded PostgreSQL, the SAQ worker, the hub, a real agent
process (`python -m agent`) on the machine's dockerd with the offline busybox image (warm:
nothing is pulled), the Caddy that `shoal up` runs, and Shoal's app behind uvicorn answering
the wake. Each round puts the deployment to sleep (and waits until the ingress sends its host
to Shoal), then plays a browser: one GET of the app's URL, which starts the wake and gets the
"waking up" page; then a GET every `--poll` seconds (the page reloads itself every 2 s; a
finer poll measures when the app is up, not when a browser would look) until the app answers
200. The time from the first request to that 200 is one sample.

    .venv/bin/python bench/wake.py [--rounds 10] [--poll 0.1]

Targets: p50 <= 2 s, p95 <= 4 s. The machine's cores are shared with whatever else runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from core import crypto, events, runtime  # noqa: E402
from core import db as core_db  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.ingress.caddy import CaddyAdmin  # noqa: E402
from core.ingress.config import IngressOptions  # noqa: E402
from core.ingress.hostnames import hostname  # noqa: E402
from core.ingress.process import CaddyProcess, free_loopback_port  # noqa: E402
from core.ingress.syncer import IngressSyncer  # noqa: E402
from core.jobs import make_queue, make_worker  # noqa: E402
from core.services import environments, naps, nodes  # noqa: E402
from core.settings import Settings  # noqa: E402
from shoaltest.agent import AgentProcess, remove_labelled  # noqa: E402
from shoaltest.httpd_project import (  # noqa: E402
    deploy,
    deployment_reaches,
    deployment_row,
    httpd_project,
)
from shoaltest.hub import fast_hub_config, started_hub, until, wait_status  # noqa: E402
from web.app import create_app  # noqa: E402

ADMIN = Actor(id=None, username="bench", is_admin=True)
SERVICES = ("db", "api", "web")


async def _get(port: int, host: str) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            answer = await client.get(
                f"http://127.0.0.1:{port}/", headers={"Host": host, "Accept": "text/html"}
            )
        except httpx.HTTPError:
            return 0
        return answer.status_code


async def _round(deployment_id: int, port: int, host: str, syncer: IngressSyncer, poll: float):
    await naps.sleep(ADMIN, deployment_id)
    await deployment_reaches(deployment_id, "sleeping", within=60)
    await syncer.sync_now()
    started = time.monotonic()
    first = await _get(port, host)
    assert first == 503, f"the first request got {first}, not the waking page"
    running = 0.0
    while await _get(port, host) != 200:
        assert time.monotonic() - started < 120, "the app did not come back within 120 s"
        if not running and (await deployment_row(deployment_id))["status"] == "running":
            running = time.monotonic() - started
        await asyncio.sleep(poll)
    return time.monotonic() - started, running


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--poll", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-wake-") as tmp:
        root = Path(tmp)
        dsn = core_db.start_embedded(root / "pg")
        core_db.configure(dsn)
        await core_db.migrate()
        await core_db.start_pool(max_size=10)
        runtime.install(box=crypto.SecretBox(crypto.generate_key()))
        await events.start(dsn)
        runtime.install(settings=Settings())
        queue = make_queue(dsn, 2)
        await queue.connect()
        runtime.install(queue=queue)
        hub = await started_hub(dsn, fast_hub_config(heartbeat_timeout_s=30.0))
        runtime.install(hub=hub)  # before the worker starts: its jobs' tasks inherit it
        worker = make_worker(queue, 2, handle_signals=False)
        worker_task = asyncio.create_task(worker.start())
        agent = AgentProcess(
            data_dir=root / "agent",
            token="",
            port=free_loopback_port(),
            agent_id="b" + secrets.token_hex(4),
        )
        app_port = free_loopback_port()
        settings = Settings(bind=f"127.0.0.1:{app_port}", data_dir=str(root / "data"))
        app = create_app(settings, dsn, run_worker=False, own_pool=False, run_background=False)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=app_port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        caddy = CaddyProcess(root / "caddy")
        syncer: IngressSyncer | None = None
        samples: list[float] = []
        try:
            await until(lambda: _true(hub.is_leader), 10)
            env = await environments.create_environment(
                ADMIN, environments.EnvironmentInput(name="qa", base_domain="bench.test")
            )
            node = await nodes.add_node(
                ADMIN, env.id, nodes.NodeInput(host="127.0.0.1", port=agent.port)
            )
            agent.token = node.token
            await asyncio.to_thread(agent.start)
            await wait_status(node.id, "online", within=30)
            project = await httpd_project(ADMIN, "shop", services=SERVICES)
            deployment_id = await deploy(ADMIN, project, env.id, "pr-42")
            row = await deployment_reaches(deployment_id, "running", "failed", within=120)
            assert row["status"] == "running", row["error"]
            await caddy.start()
            port = free_loopback_port()
            options = IngressOptions(
                listen=f"127.0.0.1:{port}",
                tls_listen=f"127.0.0.1:{free_loopback_port()}",
                public_url=f"http://127.0.0.1:{app_port}",
                control_plane=f"127.0.0.1:{app_port}",
            )
            syncer = IngressSyncer(CaddyAdmin(caddy.admin_url), options, owns_caddy=True)
            import core.ingress as ingress_module

            ingress_module._syncer = syncer  # lifecycle moves resync it, as in `shoal serve`
            await syncer.start()
            await syncer.sync_now()
            host = hostname("web", "pr-42", "qa", "bench.test")
            await until(lambda: _is(_get(port, host), 200), 30, every=0.2)
            for number in range(args.rounds):
                served, running = await _round(deployment_id, port, host, syncer, args.poll)
                samples.append(served)
                print(
                    f"round {number + 1}: app served after {served:.2f} s "
                    f"(status running after {running:.2f} s)",
                    flush=True,
                )
                await asyncio.sleep(random.uniform(0.2, 0.5))
        finally:
            if syncer is not None:
                await syncer.stop()
            await caddy.stop()
            server.should_exit = True
            await serving
            agent.kill()
            with contextlib.suppress(Exception):
                remove_labelled(agent.agent_id)
            await worker.stop()
            worker_task.cancel()
            await hub.stop()
            await queue.disconnect()
            await events.stop()
            await core_db.close_pool()
            core_db.stop_embedded()
    print(f"first request → app served, {len(samples)} wakes of {len(SERVICES)} services:")
    print(
        f"p50 {_pct(samples, 50):.2f} s  p95 {_pct(samples, 95):.2f} s  "
        f"mean {statistics.fmean(samples):.2f} s  max {max(samples):.2f} s  (targets 2 s / 4 s)"
    )


async def _true(value: bool) -> bool:
    return value


async def _is(status: object, wanted: int) -> bool:
    return await status == wanted  # type: ignore[misc]


if __name__ == "__main__":
    asyncio.run(main())
