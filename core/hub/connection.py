"""One node: a TLS WebSocket client with a pinned certificate, the handshake, replies matched by
id, log streams, and reconnection forever (capped exponential backoff with jitter) until the
hub stops it.

Trust is the pinned SHA-256 thumbprint, not a CA: the first successful handshake pins the
certificate; later a different one stops the loop (`untrusted`) until an admin approves it and
the hub starts a new connection. An agent of another protocol version is probed (Hello only,
no Auth) at the capped backoff and tried again only once its version changes.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import contextlib
import itertools
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidURI

from agent import protocol as p
from core.errors import AgentUnavailable
from core.hub.config import HubConfig, backoff_delay
from core.hub.handshake import Expected, Refused, describe, shake, version_of
from core.hub.session import AgentRequestFailed, Session
from core.hub.sink import Sink
from core.hub.task_stop import cancel_and_wait

log = logging.getLogger("shoal.hub")

STOP_WAIT_S = 10
"""How long stopping a node's connection may take before it is left behind (logged)."""


@dataclass(kw_only=True)
class Target:
    """Where and how to reach one node; `thumbprint` empty = not pinned yet (first contact)."""

    node_id: int
    host: str
    port: int
    key: bytes
    thumbprint: str = ""
    incompatible_version: str = ""  # "agent_version/protocol_version" we were refused with

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"wss://{host}:{self.port}/"


class Handshook(Exception):
    """The handshake ended without a session; `retry` False means: wait for an admin."""

    def __init__(self, retry: bool) -> None:
        self.retry = retry


def client_ssl_context() -> ssl.SSLContext:
    # No CA and no host name check: trust comes from the pinned thumbprint checked below.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


_SSL = client_ssl_context()


def shrink_tls_read_buffers() -> None:
    """asyncio's SSL transport gives every connection a 256 KB read buffer (CPython's
    SSLProtocol.max_size): at thousands of agent sessions that was 3/4 of the hub's memory. A
    TLS record carries at most 16 KB and a heartbeat under 1 KB, so a 4 KB buffer only costs
    more read calls on big frames. Process-wide (the class attribute is the only knob asyncio
    offers), so the process that holds agent connections calls it once as it starts them,
    never an import."""
    asyncio.sslproto.SSLProtocol.max_size = min(asyncio.sslproto.SSLProtocol.max_size, 4 * 1024)


class NodeConnection:
    def __init__(self, target: Target, sink: Sink, config: HubConfig) -> None:
        self.target, self.sink, self.config = target, sink, config
        self.session: Session | None = None
        self.ids = itertools.count(1)
        self.task: asyncio.Task | None = None
        self.stopping = False
        self.last_problem = "not connected yet"

    @property
    def node_id(self) -> int:
        return self.target.node_id

    @property
    def online(self) -> bool:
        return self.session is not None and not self.session.closed

    def start(self) -> None:
        self.stopping = False
        self.task = asyncio.create_task(self.run(), name=f"hub-node-{self.node_id}")

    async def stop(self) -> None:
        """Close the session and end the loop, bounded: a peer that never answers the close
        or a task stuck in a blocked write must not hold up a shutdown or a node's removal."""
        self.stopping = True
        if self.session is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.session.close(1001, "node disabled, removed or revoked"), STOP_WAIT_S
                )
        if self.task is not None:
            await cancel_and_wait(self.task, STOP_WAIT_S, f"node {self.node_id}'s connection")

    async def run(self) -> None:
        failures = 0
        while not self.stopping:
            was_online = False
            try:
                was_online = await self.attempt()
            except Handshook as ended:
                if not ended.retry:
                    return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never let one node's surprise end its loop
                log.exception("node %s: unexpected error", self.node_id)
                await self._offline("offline", f"internal error: {error}")
            failures = 1 if was_online else failures + 1
            await asyncio.sleep(backoff_delay(failures, self.config))

    async def attempt(self) -> bool:
        """One connection; True when it got as far as a session (the backoff starts over)."""
        target = self.target
        try:
            ws = await connect(
                target.url,
                ssl=_SSL,
                max_size=p.MAX_MESSAGE_BYTES,
                compression=None,
                open_timeout=self.config.open_timeout_s,
                ping_interval=None,  # agent heartbeats tell liveness; fewer timers per node
                close_timeout=2,
                max_queue=64,
                user_agent_header=None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            await self._offline(
                "offline", f"cannot connect to {target.host}:{target.port}: {describe(error)}"
            )
            return False
        try:
            hello, welcome, thumbprint = await self._handshake(ws)
        except BaseException:
            await ws.close()
            raise
        session = Session(ws, self.config)
        self.session = session
        reader: asyncio.Task | None = None
        try:
            await self.sink.online(self.node_id, hello, welcome, thumbprint)
            reader = asyncio.create_task(session.read(self.node_id, self.sink))
            try:
                await self._sync(session)
            except AgentRequestFailed as error:  # the session stays; the next change resends
                log.warning("node %s refused the desired state: %s", self.node_id, error)
            except AgentUnavailable:
                pass  # the reader has seen the end and says why
            await reader
        finally:
            if reader is not None and not reader.done():
                reader.cancel()
            session.end(None)
            await session.close()
            if self.session is session:
                self.session = None
        if not self.stopping:
            await self._offline("offline", session.reason)
        return True

    async def _handshake(self, ws: ClientConnection) -> tuple[p.Hello, p.Welcome, str]:
        target = self.target
        expected = Expected(
            key=target.key,
            host=target.host,
            thumbprint=target.thumbprint,
            refused_version=target.incompatible_version,
            publish_networks=self.config.publish_networks,
        )
        try:
            hello, welcome, thumbprint = await shake(ws, expected, self.config.open_timeout_s)
        except Refused as refused:
            await self._record_refusal(refused)
            raise Handshook(retry=refused.retry) from None
        target.thumbprint = thumbprint
        target.incompatible_version = ""
        return hello, welcome, thumbprint

    async def _record_refusal(self, refused: Refused) -> None:
        if refused.outcome == "untrusted":
            self.last_problem = f"untrusted: {refused.message}"
            await self.sink.untrusted(self.node_id, refused.presented)
        elif refused.outcome == "incompatible" and refused.hello is not None:
            await self._incompatible(refused.hello, refused.message)
        elif refused.message:
            await self._offline(refused.outcome, refused.message)

    async def _incompatible(self, hello: p.Hello, message: str) -> None:
        version = version_of(hello)
        if self.target.incompatible_version == version:
            return
        self.target.incompatible_version = version
        text = message or (
            f"agent {hello.agent_version} speaks protocol version {hello.protocol_version}; "
            f"this control plane speaks {p.PROTOCOL_VERSION}: upgrade the older side"
        )
        self.last_problem = f"incompatible: agent protocol {hello.protocol_version}"
        await self.sink.incompatible(
            self.node_id, hello.agent_version, hello.protocol_version, text
        )

    async def _sync(self, session: Session) -> None:
        desired = await self.sink.desired(self.node_id)
        reply = await self.request(
            p.Sync, deployments=desired.specs, plugins=desired.plugins, keep=desired.keep
        )
        if isinstance(reply, p.DeploymentsReply):
            await self.sink.synced(self.node_id, reply.deployments)

    async def _offline(self, status: str, error: str) -> None:
        self.last_problem = error
        if self.stopping:
            return
        try:
            await self.sink.offline(self.node_id, status, error)
        except Exception:  # the database may be down too: the loop must go on regardless
            log.exception("node %s: could not record %s (%s)", self.node_id, status, error)

    # ---- requests over the current session

    async def request(self, message_type: type, within: float | None = None, **fields: Any) -> Any:
        session = self.session
        if session is None or session.closed:
            raise AgentUnavailable(f"The agent of node {self.node_id} is not connected.")
        return await session.request(
            message_type(id=next(self.ids), **fields), within or self.config.request_timeout_s
        )

    def open_logs(
        self,
        deployment_id: int,
        step: str,
        tail: int,
        follow: bool,
        since: float = 0.0,
        timestamps: bool = False,
    ) -> Any:
        session = self.session
        if session is None or session.closed:
            raise AgentUnavailable(f"The agent of node {self.node_id} is not connected.")
        request = p.Logs(
            id=next(self.ids),
            deployment_id=deployment_id,
            step=step,
            tail=tail,
            follow=follow,
            since=since,
            timestamps=timestamps,
        )
        return session.logs(request, lambda: next(self.ids))


def _peer_ip(ws: ClientConnection) -> str:
    address = ws.remote_address
    return str(address[0]) if address else ""
