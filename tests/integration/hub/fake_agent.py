"""A protocol-speaking stand-in for agents that do not exist (another protocol version) or
misbehave on purpose (garbage frames, a connection dropped mid-frame). Real TLS with a
certificate made by the agent's own code, real handshake proof check; counts what it saw."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from agent import protocol as p
from agent import tls

CAPACITY = p.NodeCapacity(cpus=2.0, memory_mb=2048)


def metrics() -> p.NodeMetrics:
    return p.NodeMetrics(
        capacity=CAPACITY,
        cpu_busy_percent=10.0,
        memory_available_mb=1024,
        disk_total_mb=10_000,
        disk_free_mb=5_000,
        docker="ok",
        allocated=p.Limits(cpu=0.0, memory_mb=0),
    )


class FakeAgent:
    def __init__(self, token: str, *, protocol_version: int = p.PROTOCOL_VERSION) -> None:
        self.key = p.token_key(token)
        self.protocol_version = protocol_version
        self.agent_version = "9.9.9"
        # normal | garbage_hello | garbage_after_welcome | drop_mid_frame | impostor (takes any
        # Auth and answers with a Welcome whose proof it cannot know)
        self.mode = "normal"
        self.publish_address = "127.0.0.1"
        self.capacity = CAPACITY
        self.hellos = self.auths = self.welcomes = self.requests = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="shoal-fake-agent-")
        cert, key = tls.ensure_certificate(Path(self._tmp.name), ["127.0.0.1"])
        self.context = tls.server_context(cert, key)
        self.thumbprint = tls.thumbprint(cert.read_bytes())
        self.server = None
        self.port = 0

    async def start(self, port: int = 0) -> FakeAgent:
        self.server = await serve(
            self._handle, "127.0.0.1", port, ssl=self.context, compression=None
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 3)
        self._tmp.cleanup()

    async def _handle(self, ws: ServerConnection) -> None:
        nonce = secrets.token_hex(32)
        self.hellos += 1
        hello = p.Hello(
            agent_version=self.agent_version,
            protocol_version=self.protocol_version,
            nonce=nonce,
            thumbprint=self.thumbprint,
            agent_id="fake",
        )
        with contextlib.suppress(Exception):
            if self.mode == "garbage_hello":
                await ws.send('{"type": "hello", "agent_version": 3}', text=True)
                await ws.recv()
                return
            await ws.send(p.encode(hello), text=True)
            auth = p.decode(await ws.recv(), p.Auth)
            self.auths += 1
            impostor = self.mode == "impostor"
            if not impostor and auth.proof != p.auth_proof(
                self.key, nonce, auth.cp_nonce, self.thumbprint
            ):
                await ws.send(p.encode(p.AuthFailed()), text=True)
                return
            proof = p.agent_proof(self.key, nonce, auth.cp_nonce, self.thumbprint)
            welcome = p.Welcome(
                agent_version=self.agent_version,
                protocol_version=self.protocol_version,
                agent_id="fake",
                publish_address=self.publish_address,
                capacity=self.capacity,
                # An impostor's best try: the CP's own proof reflected back.
                proof=auth.proof if impostor else proof,
            )
            await ws.send(p.encode(welcome), text=True)
            self.welcomes += 1
            await self._serve(ws)

    async def _serve(self, ws: ServerConnection) -> None:
        beats = asyncio.create_task(self._beat(ws))
        try:
            async for frame in ws:
                request = p.decode(frame, p.Request)
                self.requests += 1
                if isinstance(request, p.Sync):
                    await ws.send(p.encode(p.DeploymentsReply(id=request.id, deployments=[])))
                    if self.mode == "garbage_after_welcome":
                        await ws.send("{this is not json", text=True)
                        await ws.send(b"\x00\xff binary junk")
                        await ws.send('{"type": "no_such_event"}', text=True)
                    if self.mode == "drop_mid_frame":
                        # The start of a 4 KB text frame, then the TCP connection is cut.
                        ws.transport.write(b"\x81\x7e\x10\x00" + b'{"type":"heartbeat"')
                        ws.transport.abort()
                        return
                elif isinstance(request, p.GetMetrics):
                    await ws.send(p.encode(p.MetricsReply(id=request.id, metrics=metrics())))
                else:
                    await ws.send(p.encode(p.Ok(id=request.id)))
        finally:
            beats.cancel()

    @staticmethod
    async def _beat(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            while True:
                await ws.send(p.encode(p.Heartbeat(metrics=metrics())), text=True)
                await asyncio.sleep(1)
