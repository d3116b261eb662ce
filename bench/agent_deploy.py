"""Deploy → three busybox httpd services healthy (warm images), teardown time, and the agent's
RSS while it runs a 10-container pipeline."""

from __future__ import annotations

import asyncio
import sys
import time

from agent_common import (
    BINARY,
    BUSYBOX,
    ensure_busybox,
    new_agent,
    remove_labelled,
    summary,
    tree_rss_mb,
)

from agent import protocol as p
from shoaltest.agent import httpd_service, make_spec

RUNS = 10


async def deploy(client, spec) -> float:
    began = time.monotonic()
    await client.request(p.Deploy, spec=spec)
    status = await client.wait_status(spec.id, "running", "failed", within=120)
    if status.status != "running":
        raise RuntimeError(status.error)
    return time.monotonic() - began


async def delete(client, deployment_id: int) -> float:
    began = time.monotonic()
    await client.request(p.Delete, deployment_id=deployment_id)
    await client.wait_status(deployment_id, "deleted", within=120)
    return time.monotonic() - began


async def run(command: list[str], label: str) -> None:
    agent = new_agent(command)
    agent.start()
    client = await agent.client()
    try:
        warm = make_spec(1, [httpd_service(f"s{i}", BUSYBOX) for i in range(3)])
        await deploy(client, warm)  # warm caches
        await delete(client, 1)
        up, down = [], []
        for run_number in range(RUNS):
            spec = make_spec(100 + run_number, [httpd_service(f"s{i}", BUSYBOX) for i in range(3)])
            up.append(await deploy(client, spec))
            down.append(await delete(client, spec.id))
        print(f"{label:7} deploy → 3 httpd healthy (s): {summary(up)}")
        print(f"{label:7} teardown of it (s):          {summary(down)}")
        ten = make_spec(
            500, [httpd_service(f"s{i}", BUSYBOX) for i in range(10)], cpu=2.0, memory_mb=2048
        )
        peak = 0.0
        task = asyncio.create_task(deploy(client, ten))
        while not task.done():
            peak = max(peak, tree_rss_mb(agent.process.pid))
            await asyncio.sleep(0.05)
        took = task.result()
        peak = max(peak, tree_rss_mb(agent.process.pid))
        print(f"{label:7} 10-container pipeline: {took:.2f} s, agent peak RSS {peak:.1f} MB")
        await delete(client, 500)
    finally:
        await client.close()
        agent.stop()
        remove_labelled(agent.agent_id)


def main() -> None:
    ensure_busybox()
    if BINARY.exists():
        asyncio.run(run([str(BINARY)], "binary"))
    asyncio.run(run([sys.executable, "-m", "agent"], "source"))


if __name__ == "__main__":
    main()
