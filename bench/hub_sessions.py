"""How many agent sessions one control-plane process holds, at what memory and CPU, and how fast
heartbeats and requests travel. Also the reconnect storm: all sessions connected, handshaken
and synced from a cold start (what a control-plane restart looks like to the agents).

This process runs the hub's real connection code (core.hub.connection: TLS, pinning, HMAC
handshake, Sync, replies by id, heartbeat watchdog) with an in-memory sink: database writes
are NOT included (see bench/hub_agent_restart.py for the database path). The agents are the
LOAD GENERATOR bench/hub_agents_sim.py (simulated sessions in one other process).

    .venv/bin/python bench/hub_sessions.py --sessions 1000 5000 --window 30
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent import protocol as p
from core.hub.config import HubConfig
from core.hub.connection import NodeConnection, Target, shrink_tls_read_buffers
from core.hub.memory import release_free_memory
from core.hub.sink import Desired

SIM = Path(__file__).with_name("hub_agents_sim.py")


class MemorySink:
    def __init__(self) -> None:
        self.synced_nodes: set[int] = set()
        self.heartbeat_latency: list[float] = []
        self.problems: dict[str, int] = {}
        self.all_synced = asyncio.Event()
        self.expected = 0

    async def desired(self, node_id: int) -> Desired:
        return Desired([], [])

    async def online(self, node_id, hello, welcome, thumbprint) -> None:
        pass

    async def synced(self, node_id: int, states) -> None:
        self.synced_nodes.add(node_id)
        if len(self.synced_nodes) >= self.expected:
            self.all_synced.set()

    async def event(self, node_id: int, event) -> None:
        if isinstance(event, p.Heartbeat):
            self.heartbeat_latency.append(time.time() - float(event.metrics.docker_version))

    async def offline(self, node_id: int, status: str, error: str) -> None:
        self.synced_nodes.discard(node_id)
        key = error.split(":")[0][:60]
        self.problems[key] = self.problems.get(key, 0) + 1

    async def untrusted(self, node_id, presented) -> None:
        self.problems["untrusted"] = self.problems.get("untrusted", 0) + 1

    async def incompatible(self, *args) -> None:
        self.problems["incompatible"] = self.problems.get("incompatible", 0) + 1


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(sessions: int, window: float, rate: float, heartbeat: float) -> None:
    token = secrets.token_urlsafe(32)
    sim = subprocess.Popen(  # noqa: ASYNC220  (returns at once)
        [sys.executable, str(SIM), "--token", token, "--heartbeat", str(heartbeat)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = (await asyncio.to_thread(sim.stdout.readline)).split()
        port, thumbprint = int(ready[1].split(",")[0]), ready[2]
        base_rss = rss_mb()
        sink = MemorySink()
        sink.expected = sessions
        config = HubConfig(heartbeat_timeout_s=heartbeat * 3)
        key = p.token_key(token)
        connections = [
            NodeConnection(
                Target(node_id=i, host="127.0.0.1", port=port, key=key, thumbprint=thumbprint),
                sink,  # type: ignore[arg-type]
                config,
            )
            for i in range(sessions)
        ]
        started = time.monotonic()
        for connection in connections:
            connection.start()
        await asyncio.wait_for(sink.all_synced.wait(), 300)
        storm = time.monotonic() - started
        await asyncio.sleep(heartbeat)  # settle: every session has beaten once
        release_free_memory()  # as the hub's leader loop does every refresh
        sink.heartbeat_latency.clear()
        rtts: list[float] = []
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        end = wall0 + window
        while time.monotonic() < end:
            connection = random.choice(connections)
            sent = time.perf_counter()
            try:
                await connection.request(p.GetMetrics)
                rtts.append(time.perf_counter() - sent)
            except Exception as error:
                sink.problems[f"request: {error}"[:60]] = 1
            await asyncio.sleep(1 / rate)
        cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0) * 100
        rss = rss_mb()
        online = sum(1 for c in connections if c.online)
        print(
            f"sessions={sessions} online={online} connect+handshake+sync_all_s={storm:.1f} "
            f"rss_mb={rss:.0f} (baseline {base_rss:.0f}, {(rss - base_rss) * 1024 / sessions:.0f}"
            f" KB/session) cpu_pct_of_one_core={cpu:.1f} (incl. {rate:g} req/s) "
            f"heartbeat_delivery_ms p50={statistics.median(sink.heartbeat_latency) * 1000:.1f} "
            f"p99={pct(sink.heartbeat_latency, 0.99) * 1000:.1f} "
            f"(n={len(sink.heartbeat_latency)}) request_rtt_ms p50="
            f"{statistics.median(rtts) * 1000:.1f} p99={pct(rtts, 0.99) * 1000:.1f} "
            f"(n={len(rtts)}) problems={sink.problems or 'none'}",
            flush=True,
        )
        await asyncio.gather(*(c.stop() for c in connections), return_exceptions=True)
    finally:
        sim.kill()
        sim.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, nargs="+", default=[1000])
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=50.0, help="GetMetrics requests per s")
    parser.add_argument("--heartbeat", type=float, default=5.0)
    args = parser.parse_args()
    print("hub_sessions: real hub connection code, in-memory sink; agents = LOAD GENERATOR")
    shrink_tls_read_buffers()  # as the hub does when it starts
    for sessions in args.sessions:
        await run(sessions, args.window, args.rate, args.heartbeat)


if __name__ == "__main__":
    asyncio.run(main())
