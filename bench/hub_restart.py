# ruff: noqa: ASYNC110  (polling flags set by the hub is what a benchmark does)
"""The hub with its database (embedded PostgreSQL, every write real):

1. Reconnect storm: N simulated agents (LOAD GENERATOR bench/hub_agents_sim.py, one port each)
   are already running; a fresh hub process-part starts, as after a control-plane restart.
   Time until every node is online and synced in the database; then the process's CPU while
   the N nodes beat every 5 s (each beat = node update + sample insert + trim + 2 NOTIFYs).
2. Single agent restart: a real agent (`python -m agent`), killed and started again; time
   from the restart command to the node online and synced (median and max of --restarts).

    .venv/bin/python bench/hub_restart.py --sessions 1000 --restarts 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from agent import protocol as p  # noqa: E402
from core import crypto, db, runtime  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.hub import Hub, HubConfig  # noqa: E402
from core.hub.recorder import DatabaseSink  # noqa: E402
from core.services import deployment_actions, environments, nodes  # noqa: E402
from core.tables import Node  # noqa: E402
from shoaltest.agent import AgentProcess, remove_labelled  # noqa: E402
from shoaltest.registry import free_port  # noqa: E402

SIM = Path(__file__).with_name("hub_agents_sim.py")
ADMIN = Actor(id=None, username="bench", is_admin=True)


class TimedSink(DatabaseSink):
    def __init__(self, hub: Hub) -> None:
        super().__init__(hub, deployment_actions.desired_specs, deployment_actions.plugin_infos)
        self.synced_at: dict[int, float] = {}

    async def synced(self, node_id: int, states: list[p.DeploymentState]) -> None:
        await super().synced(node_id, states)
        self.synced_at[node_id] = time.monotonic()


def timed_hub() -> tuple[Hub, TimedSink]:
    hub = Hub(HubConfig(lock_key=random.randrange(2**60)))
    sink = TimedSink(hub)
    hub.sink = sink
    return hub, sink


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def storm(sessions: int, window: float) -> None:
    token = secrets.token_urlsafe(32)
    sim = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, str(SIM), "--token", token, "--ports", str(sessions)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = (await asyncio.to_thread(sim.stdout.readline)).split()
        ports, thumbprint = [int(x) for x in ready[1].split(",")], ready[2]
        env = await environments.create_environment(
            ADMIN, environments.EnvironmentInput(name="storm", base_domain="storm.test")
        )
        key_hex = p.token_key(token).hex()
        rows = [
            Node(
                environment=env.id, name=f"n{i}", host="127.0.0.1", port=port, thumbprint=thumbprint
            )
            for i, port in enumerate(ports)
        ]
        await Node.insert(*rows).run()
        for row in await Node.select(Node.id).where(Node.environment == env.id).run():
            sealed = runtime.box().encrypt(key_hex, crypto.node_token_context(row["id"]))
            await (
                Node.update({Node.token_secret_ciphertext: sealed})
                .where(Node.id == row["id"])
                .run()
            )
        hub, sink = timed_hub()
        started = time.monotonic()
        await hub.start(db_dsn)
        while len(sink.synced_at) < sessions and time.monotonic() - started < 120:
            await asyncio.sleep(0.05)
        took = max(sink.synced_at.values()) - started if sink.synced_at else float("nan")
        online = (
            await Node.count().where((Node.environment == env.id) & (Node.status == "online")).run()
        )
        print(
            f"storm: {len(sink.synced_at)}/{sessions} synced, {online} online in the "
            f"database, {took:.1f} s after the hub started",
            flush=True,
        )
        await asyncio.sleep(6)
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(window)
        cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0) * 100
        print(
            f"steady: {sessions} nodes beating every 5 s with database writes: "
            f"{cpu:.1f} % of one core in the hub's process",
            flush=True,
        )
        await hub.stop()
    finally:
        sim.kill()
        sim.wait()


async def restarts(count: int) -> None:
    env = await environments.create_environment(
        ADMIN, environments.EnvironmentInput(name="restart", base_domain="restart.test")
    )
    agent = AgentProcess(
        data_dir=Path(tempfile.mkdtemp(prefix="shoal-bench-")) / "agent",
        token="",
        port=free_port(),
        agent_id="b" + secrets.token_hex(4),
    )
    node = await nodes.add_node(ADMIN, env.id, nodes.NodeInput(host="127.0.0.1", port=agent.port))
    agent.token = node.token
    hub, sink = timed_hub()
    runtime.install(hub=hub)
    await hub.start(db_dsn)
    try:
        await asyncio.to_thread(agent.start)
        while node.id not in sink.synced_at:
            await asyncio.sleep(0.02)
        timings = []
        for _ in range(count):
            agent.kill()
            while hub.connections[node.id].online:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            sink.synced_at.pop(node.id, None)
            started = time.monotonic()
            await asyncio.to_thread(agent.start)
            listening = time.monotonic() - started
            while node.id not in sink.synced_at:
                await asyncio.sleep(0.01)
            timings.append((sink.synced_at[node.id] - started, listening))
        total = [t for t, _ in timings]
        print(
            f"single agent restart → online and synced: median {statistics.median(total):.2f}"
            f" s, max {max(total):.2f} s (of which the agent process start: median "
            f"{statistics.median(t for _, t in timings):.2f} s) over {count} restarts"
        )
    finally:
        agent.kill()
        remove_labelled(agent.agent_id)
        await hub.stop()


async def main() -> None:
    global db_dsn
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--restarts", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="shoal-bench-pg-")
    db_dsn = db.start_embedded(Path(tmp))
    db.configure(db_dsn)
    await db.migrate()
    await db.start_pool(10)
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    from core import events

    await events.start(db_dsn)
    try:
        await restarts(args.restarts)
        await storm(args.sessions, args.window)
    finally:
        await events.stop()
        await db.close_pool()
        db.stop_embedded()


db_dsn = ""

if __name__ == "__main__":
    asyncio.run(main())
