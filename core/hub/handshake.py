"""The control plane's side of the handshake (agent/protocol): Hello → Auth → Welcome.

Both sides prove the node token before anything is pinned, recorded or sent. The agent checks
our proof; we check the one in its Welcome. Only then does a changed certificate count as
`untrusted` (so nobody without the token can put a thumbprint up for an admin's approval), and
the publish address the agent reports is checked against the node's own addresses.

`shake` does no recording: it returns the handshake's result or raises `Refused` saying what
the connection should record, so it can be read top to bottom.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import ssl
from dataclasses import dataclass
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from agent import protocol as p
from core.domain.nodes import publish_address_problem

AUTH_FAILED = (
    "auth failed: the agent refused this node's token (start the agent with the token shown "
    "when the node was added or last rotated)"
)
IMPOSTOR = (
    "auth failed: whatever answers at this address could not prove it knows the node's token, "
    "so nothing was sent to it (if you restarted the agent with a new token, rotate the node's "
    "token; otherwise another process may have taken the agent's port)"
)
# The agent slows down wrong proofs (up to 8 s): wait longer than that for its answer.
ANSWER_WITHIN_S = 20.0


class Refused(Exception):
    """No session. `outcome`: offline | auth_failed | untrusted | incompatible; `retry` False
    means wait for an admin. `hello` and `presented` are set once they are known."""

    def __init__(
        self,
        outcome: str,
        message: str,
        *,
        retry: bool = True,
        hello: p.Hello | None = None,
        presented: str = "",
    ) -> None:
        super().__init__(message)
        self.outcome, self.message, self.retry = outcome, message, retry
        self.hello, self.presented = hello, presented


@dataclass(frozen=True, kw_only=True)
class Expected:
    """What we know of the node before it answers."""

    key: bytes
    host: str
    thumbprint: str  # empty: not pinned yet (first contact)
    refused_version: str  # "agent_version/protocol_version" we were refused with, or ""
    publish_networks: tuple[Any, ...] = ()


def peer_thumbprint(ws: ClientConnection) -> str:
    der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest()


def version_of(hello: p.Hello) -> str:
    return f"{hello.agent_version}/{hello.protocol_version}"


async def shake(
    ws: ClientConnection, expected: Expected, open_timeout_s: float
) -> tuple[p.Hello, p.Welcome, str]:
    """Run the handshake; return (hello, welcome, thumbprint) or raise Refused."""
    try:
        hello = p.decode(await asyncio.wait_for(ws.recv(), open_timeout_s), p.Hello)
    except (TimeoutError, ConnectionClosed, msgspec.MsgspecError) as error:
        raise Refused("offline", f"no valid Hello from the agent: {describe(error)}") from error
    presented = peer_thumbprint(ws)
    if hello.thumbprint != presented:
        raise Refused("offline", "the agent's Hello names another certificate than TLS")
    if hello.protocol_version != p.PROTOCOL_VERSION:
        raise Refused("incompatible", "", hello=hello)
    if expected.refused_version == version_of(hello):
        raise Refused("offline", "", hello=hello)  # still the refused version: no login
    welcome = await _prove(ws, expected.key, hello, presented)
    if expected.thumbprint and presented != expected.thumbprint:
        raise Refused(
            "untrusted", "the agent's certificate changed", retry=False, presented=presented
        )
    problem = publish_address_problem(
        welcome.publish_address, expected.host, peer_ip(ws), expected.publish_networks
    )
    if problem is not None:
        raise Refused("offline", problem)
    return hello, welcome, presented


async def _prove(ws: ClientConnection, key: bytes, hello: p.Hello, presented: str) -> p.Welcome:
    cp_nonce = secrets.token_hex(32)
    auth = p.Auth(
        protocol_version=p.PROTOCOL_VERSION,
        cp_nonce=cp_nonce,
        proof=p.auth_proof(key, hello.nonce, cp_nonce, presented),
    )
    try:
        await ws.send(p.encode(auth), text=True)
        answer = p.decode(await asyncio.wait_for(ws.recv(), ANSWER_WITHIN_S), p.Handshake)
    except (TimeoutError, ConnectionClosed, msgspec.MsgspecError) as error:
        raise Refused("offline", f"handshake broke off: {describe(error)}") from error
    if isinstance(answer, p.AuthFailed):
        raise Refused("auth_failed", AUTH_FAILED)
    if isinstance(answer, p.Incompatible):
        raise Refused("incompatible", answer.message, hello=hello)
    if not isinstance(answer, p.Welcome):
        raise Refused("offline", f"unexpected handshake answer {type(answer).__name__}")
    if not p.proofs_match(p.agent_proof(key, hello.nonce, cp_nonce, presented), answer.proof):
        raise Refused("auth_failed", IMPOSTOR)
    return answer


def peer_ip(ws: ClientConnection) -> str:
    address = ws.remote_address
    return str(address[0]) if address else ""


def describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or error}"
    if isinstance(error, OSError) and error.errno:
        return os.strerror(error.errno)  # "Connection refused", not asyncio's wrapper text
    return str(error) or type(error).__name__
