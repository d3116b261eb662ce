"""LOAD GENERATOR — simulated agents, not the real agent: one process serving many agent
sessions over TLS WebSocket, speaking the real protocol (Hello → Auth proof check → Welcome,
Sync/GetMetrics replies, a Heartbeat every --heartbeat seconds per session).

Each heartbeat carries its send time (in `docker_version`) so the control plane side can
measure delivery latency. Prints `ready <port>[,<port>…] <thumbprint>` when listening;
runs until killed.

    python bench/hub_agents_sim.py --token T [--heartbeat 5] [--ports 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent import protocol as p
from agent import tls

CAPACITY = p.NodeCapacity(cpus=4.0, memory_mb=8192)


def metrics(sent_at: float) -> p.NodeMetrics:
    return p.NodeMetrics(
        capacity=CAPACITY,
        cpu_busy_percent=12.5,
        memory_available_mb=4096,
        disk_total_mb=100_000,
        disk_free_mb=50_000,
        docker="ok",
        docker_version=repr(sent_at),
        allocated=p.Limits(cpu=1.0, memory_mb=1024),
    )


class Simulator:
    def __init__(self, token: str, heartbeat_s: float) -> None:
        self.key = p.token_key(token)
        self.heartbeat_s = heartbeat_s
        self.sessions = 0
        tmp = Path(tempfile.mkdtemp(prefix="shoal-sim-"))
        cert, key = tls.ensure_certificate(tmp, ["127.0.0.1"])
        self.context = tls.server_context(cert, key)
        self.thumbprint = tls.thumbprint(cert.read_bytes())

    async def handle(self, ws: ServerConnection) -> None:
        nonce = secrets.token_hex(32)
        hello = p.Hello(
            agent_version="sim",
            protocol_version=p.PROTOCOL_VERSION,
            nonce=nonce,
            thumbprint=self.thumbprint,
            agent_id="sim",
        )
        with contextlib.suppress(Exception):
            await ws.send(p.encode(hello), text=True)
            auth = p.decode(await ws.recv(), p.Auth)
            if auth.proof != p.auth_proof(self.key, nonce, auth.cp_nonce, self.thumbprint):
                await ws.send(p.encode(p.AuthFailed()), text=True)
                return
            welcome = p.Welcome(
                agent_version="sim",
                protocol_version=p.PROTOCOL_VERSION,
                agent_id="sim",
                publish_address="127.0.0.1",
                capacity=CAPACITY,
                proof=p.agent_proof(self.key, nonce, auth.cp_nonce, self.thumbprint),
            )
            await ws.send(p.encode(welcome), text=True)
            self.sessions += 1
            beats = asyncio.create_task(self.beat(ws))
            try:
                async for frame in ws:
                    request = p.decode(frame, p.Request)
                    if isinstance(request, p.GetMetrics):
                        reply = p.MetricsReply(id=request.id, metrics=metrics(time.time()))
                    elif isinstance(request, p.Sync):
                        reply = p.DeploymentsReply(id=request.id, deployments=[])
                    else:
                        reply = p.Ok(id=request.id)
                    await ws.send(p.encode(reply), text=True)
            finally:
                self.sessions -= 1
                beats.cancel()

    async def beat(self, ws: ServerConnection) -> None:
        await asyncio.sleep(random.uniform(0, self.heartbeat_s))  # spread, as real agents are
        while True:
            await ws.send(p.encode(p.Heartbeat(metrics=metrics(time.time()))), text=True)
            await asyncio.sleep(self.heartbeat_s)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--heartbeat", type=float, default=5.0)
    parser.add_argument("--ports", type=int, default=1, help="listen on this many ports")
    args = parser.parse_args()
    sim = Simulator(args.token, args.heartbeat)
    ports = []
    for _ in range(args.ports):
        server = await serve(
            sim.handle,
            "127.0.0.1",
            0,
            ssl=sim.context,
            compression=None,
            backlog=4096,
            max_queue=4,
        )
        ports.append(str(server.sockets[0].getsockname()[1]))
    print(f"ready {','.join(ports)} {sim.thumbprint}", flush=True)
    while True:
        await asyncio.sleep(5)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(f"sim sessions={sim.sessions} maxrss_mb={usage.ru_maxrss / 1024:.0f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
