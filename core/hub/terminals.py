"""A terminal through the hub from any process: on the leader its connection's session, on a
follower the leader's, through core.hub.forward (output as a stream, keystrokes, resizes and
acknowledgements as notices in order). The messages are agent.protocol.terminals'."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agent import protocol as p
from core.hub.requests import ROUTES, Forward


async def output(hub: Any, node_id: int, request: p.TerminalOpen) -> AsyncIterator[Any]:
    """TerminalOutput items, then one TerminalEnded; leaving early closes the terminal."""
    if hub.is_leader:
        items = ROUTES[p.TerminalOpen].handle(hub, node_id, request)
    else:
        items = hub.forwarder.stream(Forward(node_id=node_id, request=request))
    try:
        async for item in items:
            yield item
    finally:
        await items.aclose()


async def send(hub: Any, node_id: int, request: Any) -> None:
    """TerminalInput, TerminalResize, TerminalAck or TerminalClose; nobody waits for an answer."""
    await hub.tell(node_id, request)
