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
import hashlib
import itertools
import logging
import os
import secrets
import ssl
from dataclasses import dataclass
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from agent import protocol as p
from core.errors import AgentUnavailable
from core.hub.config import HubConfig, backoff_delay
from core.hub.session import AgentRequestFailed, Session
from core.hub.sink import Sink

log = logging.getLogger("shoal.hub")

AUTH_FAILED = (
    "auth failed: the agent refused this node's token (start the agent with the token shown "
    "when the node was added or last rotated)"
)


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

# asyncio's SSL transport gives every connection a 256 KB read buffer (CPython's
# SSLProtocol.max_size): at thousands of agent sessions that was 3/4 of the hub's memory. A TLS
# record carries at most 16 KB and a heartbeat under 1 KB, so a 4 KB buffer only costs more
# read calls on big frames.
# (Process-wide on purpose: the class attribute is the only knob asyncio offers.)
asyncio.sslproto.SSLProtocol.max_size = min(asyncio.sslproto.SSLProtocol.max_size, 4 * 1024)


def peer_thumbprint(ws: ClientConnection) -> str:
    der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest()


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
        self.stopping = True
        if self.session is not None:
            await self.session.close(1001, "node disabled, removed or revoked")
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass

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
                "offline", f"cannot connect to {target.host}:{target.port}: {_describe(error)}"
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
        try:
            hello = p.decode(await asyncio.wait_for(ws.recv(), self.config.open_timeout_s), p.Hello)
        except (TimeoutError, ConnectionClosed, msgspec.MsgspecError) as error:
            await self._offline("offline", f"no valid Hello from the agent: {_describe(error)}")
            raise Handshook(retry=True) from error
        presented = peer_thumbprint(ws)
        if hello.thumbprint != presented:
            await self._offline("offline", "the agent's Hello names another certificate than TLS")
            raise Handshook(retry=True)
        if target.thumbprint and presented != target.thumbprint:
            self.last_problem = "untrusted: the agent's certificate changed"
            await self.sink.untrusted(self.node_id, presented)
            raise Handshook(retry=False)
        version = f"{hello.agent_version}/{hello.protocol_version}"
        if hello.protocol_version != p.PROTOCOL_VERSION:
            await self._incompatible(hello, version, "")
        if target.incompatible_version == version:
            raise Handshook(retry=True)  # still the refused version: do not try to log in
        cp_nonce = secrets.token_hex(32)
        proof = p.auth_proof(target.key, hello.nonce, cp_nonce, presented)
        auth = p.Auth(protocol_version=p.PROTOCOL_VERSION, cp_nonce=cp_nonce, proof=proof)
        try:
            await ws.send(p.encode(auth), text=True)
            # The agent slows down wrong proofs (up to 8 s): wait longer than that.
            answer = p.decode(await asyncio.wait_for(ws.recv(), 20), p.Handshake)
        except (TimeoutError, ConnectionClosed, msgspec.MsgspecError) as error:
            await self._offline("offline", f"handshake broke off: {_describe(error)}")
            raise Handshook(retry=True) from error
        if isinstance(answer, p.AuthFailed):
            await self._offline("auth_failed", AUTH_FAILED)
            raise Handshook(retry=True)
        if isinstance(answer, p.Incompatible):
            await self._incompatible(hello, version, answer.message)
        if not isinstance(answer, p.Welcome):
            await self._offline("offline", f"unexpected handshake answer {type(answer).__name__}")
            raise Handshook(retry=True)
        target.thumbprint = presented
        target.incompatible_version = ""
        return hello, answer, presented

    async def _incompatible(self, hello: p.Hello, version: str, message: str) -> None:
        if self.target.incompatible_version != version:
            self.target.incompatible_version = version
            text = message or (
                f"agent {hello.agent_version} speaks protocol version {hello.protocol_version}; "
                f"this control plane speaks {p.PROTOCOL_VERSION}: upgrade the older side"
            )
            self.last_problem = f"incompatible: agent protocol {hello.protocol_version}"
            await self.sink.incompatible(
                self.node_id, hello.agent_version, hello.protocol_version, text
            )
        raise Handshook(retry=True)

    async def _sync(self, session: Session) -> None:
        specs, plugins = await self.sink.desired(self.node_id)
        reply = await self.request(p.Sync, deployments=specs, plugins=plugins)
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

    def open_logs(self, deployment_id: int, step: str, tail: int, follow: bool) -> Any:
        session = self.session
        if session is None or session.closed:
            raise AgentUnavailable(f"The agent of node {self.node_id} is not connected.")
        request = p.Logs(
            id=next(self.ids), deployment_id=deployment_id, step=step, tail=tail, follow=follow
        )
        return session.logs(request, lambda: next(self.ids))


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or error}"
    if isinstance(error, OSError) and error.errno:
        return os.strerror(error.errno)  # "Connection refused", not asyncio's wrapper text
    return str(error) or type(error).__name__
