"""The handshake (see agent/protocol): Hello → Auth → Welcome | AuthFailed | Incompatible.

The agent checks the control plane's proof here and answers with its own (in Welcome), so the
control plane knows it reached the agent that holds the token, not whoever bound the port.

Failures answer the same way whatever was wrong, and each failure from an address doubles the
wait before the answer (up to MAX_DELAY_S), so guessing tokens is slow.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import msgspec
from websockets.asyncio.server import ServerConnection

from agent import __version__
from agent.protocol import (
    PROTOCOL_VERSION,
    Auth,
    AuthFailed,
    Hello,
    Incompatible,
    agent_proof,
    auth_proof,
    decode,
    encode,
    proofs_match,
)

AUTH_TIMEOUT_S = 10.0
FIRST_DELAY_S = 0.25
MAX_DELAY_S = 8.0
FORGET_AFTER_S = 600.0


class Throttle:
    def __init__(self) -> None:
        self.failures: dict[str, tuple[int, float]] = {}

    def delay_for(self, address: str) -> float:
        count, last = self.failures.get(address, (0, 0.0))
        if time.monotonic() - last > FORGET_AFTER_S:
            count = 0
        self.failures[address] = (count + 1, time.monotonic())
        return min(FIRST_DELAY_S * 2**count, MAX_DELAY_S)

    def succeeded(self, address: str) -> None:
        self.failures.pop(address, None)


async def authenticate(
    ws: ServerConnection, *, key: bytes, thumbprint: str, agent_id: str, throttle: Throttle
) -> str | None:
    """Run the agent's side. When the peer proved the token, return this agent's own proof for
    the Welcome; otherwise None (the failure was answered here)."""
    address = ws.remote_address[0] if ws.remote_address else "?"
    nonce = secrets.token_hex(32)
    hello = Hello(
        agent_version=__version__,
        protocol_version=PROTOCOL_VERSION,
        nonce=nonce,
        thumbprint=thumbprint,
        agent_id=agent_id,
    )
    await ws.send(encode(hello), text=True)
    try:
        auth = decode(await asyncio.wait_for(ws.recv(), AUTH_TIMEOUT_S), Auth)
    except (TimeoutError, msgspec.MsgspecError):
        auth = None
    if auth is not None and auth.protocol_version != PROTOCOL_VERSION:
        message = (
            f"this agent speaks protocol version {PROTOCOL_VERSION}, "
            f"the control plane sent {auth.protocol_version}: upgrade the older side"
        )
        incompatible = Incompatible(agent_protocol_version=PROTOCOL_VERSION, message=message)
        await ws.send(encode(incompatible), text=True)
        await ws.close(4002, "incompatible protocol version")
        return None
    expected = auth_proof(key, nonce, auth.cp_nonce, thumbprint) if auth else ""
    if auth is None or not proofs_match(expected, auth.proof):
        await asyncio.sleep(throttle.delay_for(address))
        await ws.send(encode(AuthFailed()), text=True)
        await ws.close(4001, "authentication failed")
        return None
    throttle.succeeded(address)
    return agent_proof(key, nonce, auth.cp_nonce, thumbprint)
