"""100 deployments (one network + one container each) on one node: Docker's default pools stop
at about 30 bridge networks, so this only works with the agent's own subnet pool."""

from __future__ import annotations

import asyncio
import sys
import time

from agent_common import BUSYBOX, ensure_busybox, new_agent, remove_labelled

from agent import protocol as p
from shoaltest.agent import labelled, make_spec

COUNT = 100


async def main() -> None:
    ensure_busybox()
    agent = new_agent([sys.executable, "-m", "agent"], ["--subnet-pool", "10.240.0.0/16"])
    agent.start()
    client = await agent.client()
    try:
        node = p.ServiceNode(
            id="app", image=BUSYBOX, config=p.ServiceConfig(command=["sleep", "3600"])
        )
        began = time.monotonic()
        for deployment_id in range(1, COUNT + 1):
            spec = make_spec(deployment_id, [node], cpu=0.1, memory_mb=16)
            await client.request(p.Deploy, spec=spec)
        statuses = await asyncio.gather(
            *(client.wait_status(d, "running", "failed", within=600) for d in range(1, COUNT + 1))
        )
        took = time.monotonic() - began
        failed = [s for s in statuses if s.status != "running"]
        containers, networks = labelled(agent.agent_id)
        print(
            f"{COUNT} deployments: {COUNT - len(failed)} running, {len(failed)} failed in "
            f"{took:.1f} s; {len(networks)} networks, {len(containers)} containers"
        )
        if failed:
            print("first failure:", failed[0].error)
        began = time.monotonic()
        await client.request(p.Sync, deployments=[])
        await asyncio.gather(
            *(client.wait_status(d, "deleted", within=600) for d in range(1, COUNT + 1))
        )
        print(
            f"removing all {COUNT}: {time.monotonic() - began:.1f} s;"
            f" left (containers, networks): {labelled(agent.agent_id)}"
        )
    finally:
        await client.close()
        agent.stop()
        remove_labelled(agent.agent_id)


if __name__ == "__main__":
    asyncio.run(main())
