"""Where a notification's time goes, step by step, in one process on an embedded PostgreSQL:
the fan-out of an event (facts, channel lookup, storing its delivery), one SAQ enqueue, one
delivery by id (claim, channel, config, POST with its own client, record) and a drain's.

    python bench/notifications_profile.py [--events 200]

Each line: the step, how many times, mean and p95 in ms. The steps run one after another,
so the numbers are the cost of each, not of waiting for the others; the webhook receiver
shares this process.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.deployment_list_latency import seed  # noqa: E402
from bench.notifications import Receiver  # noqa: E402
from core import crypto, db, runtime  # noqa: E402
from core.jobs import make_queue  # noqa: E402
from core.settings import Settings  # noqa: E402

took: dict[str, list[float]] = defaultdict(list)


def timed(name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            took[name].append(time.perf_counter() - start)

    return wrapper


def timed_client(new_client: Callable[..., httpx.AsyncClient]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> httpx.AsyncClient:
        start = time.perf_counter()
        try:
            return new_client(*args, **kwargs)
        finally:
            took["send: building an httpx client"].append(time.perf_counter() - start)

    return wrapper


async def profile(dsn: str, count: int) -> None:
    from core.actor import Actor
    from core.notifications import channels, delivery, fanout, outbox, send, sender
    from core.notifications import facts as facts_module

    receiver = Receiver()
    db.configure(dsn)
    await db.start_pool(4)
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    runtime.install(settings=Settings(public_url="http://shoal.bench"))
    await channels.create_channel(
        Actor.system("bench"),
        channels.ChannelInput(name="bench", kind="webhook", url=receiver.url, events=["ready"]),
    )
    rows = await db.fetch("SELECT id FROM deployments ORDER BY id LIMIT $1", count)
    for row in rows:  # no queue in this process: record only stores the event
        await outbox.record("ready", f"ready:{row['id']}:profile", deployment_id=row["id"])

    facts_module.gather = timed("fan-out: gather facts (deployment, URLs)", facts_module.gather)
    fanout._fan_out = timed(f"fan-out: one batch of {fanout.BATCH} events", fanout._fan_out)
    started, cpu = time.perf_counter(), time.process_time()
    while await db.fetch(
        "SELECT 1 FROM notification_events WHERE dispatched_at IS NULL AND key LIKE '%profile'"
    ):
        await fanout.dispatch()
    took["fan-out: per event, one job at a time"].append((time.perf_counter() - started) / count)
    took["fan-out: per event, CPU time of this process"].append((time.process_time() - cpu) / count)

    queue = make_queue(dsn, 2)
    await queue.connect()
    for index in range(count):
        start = time.perf_counter()
        await queue.enqueue("deliver_notification", delivery_id=0, key=f"profile:{index}")
        took["SAQ: enqueue one job (INSERT + NOTIFY)"].append(time.perf_counter() - start)
    await queue.disconnect()

    ids = [r["id"] for r in await db.fetch("SELECT id FROM notification_deliveries ORDER BY id")]
    half = len(ids) // 2
    send.new_client = timed_client(send.new_client)
    deliver = timed("delivery: one by id (claim, channel, config, POST, record)", delivery.deliver)
    for delivery_id in ids[:half]:  # as each job of the one-job-per-delivery design did
        await deliver(delivery_id)
    started = time.perf_counter()
    await sender.drain()  # the other half, as the worker's drain sends them
    took["drain: per delivery, side by side"].append((time.perf_counter() - started) / half)
    async with httpx.AsyncClient() as shared:
        for _ in range(half):
            start = time.perf_counter()
            await shared.post(receiver.url, content=b"{}", headers={"X-Shoal-Event-Id": "x"})
            took["send: POST with one shared client (keep-alive)"].append(
                time.perf_counter() - start
            )
    for _ in range(half):
        start = time.perf_counter()
        await db.fetch("SELECT 1")
        took["database: one round trip (SELECT 1)"].append(time.perf_counter() - start)
    await db.close_pool()
    receiver.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-profile-") as tmp:
        dsn = db.start_embedded(Path(tmp))
        env = {
            **os.environ,
            "SHOAL_DATABASE_URL": dsn,
            "SHOAL_DATA_DIR": tmp,
            "SHOAL_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
        try:
            subprocess.run(  # also migrates the database
                [sys.executable, "-m", "web.cli", "create-admin", "--password", "bench-pass-1"],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
            )
            asyncio.run(seed(dsn, args.events))
            asyncio.run(profile(dsn, args.events))
        finally:
            db.stop_embedded()
    for name, values in took.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"{name}: {len(values)} times, mean {statistics.mean(values) * 1000:.1f} ms,"
            f" p95 {p95 * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
