"""One browser terminal session over a WebSocket: the browser's keystrokes and resizes go to
the agent through the hub (core.hub.terminals), the agent's output comes back as binary frames.

Browser → here: binary frames are input; text frames are JSON {"type": "resize", "cols",
"rows"} or {"type": "ack", "size"}. Here → browser: binary frames are output; text frames are
JSON {"type": "ended" | "error", "detail"} just before the close.

Back-pressure end to end: the browser acknowledges output once its terminal has drawn it, and
only then is it acknowledged to the agent, which stops reading the shell's pty when
TERMINAL_WINDOW_BYTES are unacknowledged. So a browser that stops reading holds the shell's
output at the agent's window, and neither the agent nor this process (whose server may buffer
what it sends without waiting) holds more than that. No input for IDLE_CLOSE_S closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from litestar import WebSocket

from agent import protocol as p
from core.actor import Actor
from core.hub import get_hub
from core.hub import terminals as hub_terminals
from core.services import terminals
from core.services.audit import Target

log = logging.getLogger("shoal.terminal")

INPUT_CHUNK = 16 * 1024


async def run(
    socket: WebSocket, actor: Actor, node_id: int, request: p.TerminalOpen, target: Target
) -> None:
    hub, key = get_hub(), request.terminal
    started, last_input = time.monotonic(), [time.monotonic()]
    opened = asyncio.Event()
    unacked = [0]  # output sent to the browser it has not acknowledged yet
    why = "closed by the browser"

    async def send(message: Any) -> None:
        await hub_terminals.send(hub, node_id, message)

    async def pump_output() -> str:
        async for item in hub_terminals.output(hub, node_id, request):
            if isinstance(item, p.TerminalEnded):
                code = "" if item.exit_code is None else f" (exit {item.exit_code})"
                return f"{item.reason}{code}"
            if not item.data:  # the agent runs the shell: input may go now
                opened.set()
                continue
            unacked[0] += len(item.data)
            await socket.send_bytes(item.data)
        return "the terminal stream ended"

    async def pump_input() -> str:
        await opened.wait()
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return "closed by the browser"
            last_input[0] = time.monotonic()
            if message.get("bytes") is not None:
                data = message["bytes"]
                for start in range(0, len(data), INPUT_CHUNK):
                    chunk = data[start : start + INPUT_CHUNK]
                    await send(p.TerminalInput(id=0, terminal=key, data=chunk))
            elif message.get("text"):
                await _control(message["text"], key, send, unacked)

    async def watch_idle() -> str:
        while True:
            left = last_input[0] + terminals.IDLE_CLOSE_S - time.monotonic()
            if left <= 0:
                idle = terminals.IDLE_CLOSE_S
                span = f"{idle // 60} minutes" if idle % 60 == 0 else f"{idle} s"
                return f"closed after {span} without input"
            await asyncio.sleep(min(left, 30))

    tasks = [asyncio.create_task(c()) for c in (pump_output, pump_input, watch_idle)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        first = next(iter(done))
        error = first.exception()
        why = first.result() if error is None else getattr(error, "detail", None) or str(error)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(Exception):
            await send(p.TerminalClose(id=0, terminal=key))
        with contextlib.suppress(Exception):
            await socket.send_text(json.dumps({"type": "ended", "detail": why}))
            await socket.close(code=1000)
        seconds = time.monotonic() - started
        await terminals.ended(actor, target, request.step, seconds, why)


async def _control(text: str, key: str, send: Any, unacked: list[int]) -> None:
    try:
        control = json.loads(text)
        if control.get("type") == "ack":
            # Never more than was sent: a client cannot widen the agent's window.
            size = min(max(int(control["size"]), 0), unacked[0])
            if size:
                unacked[0] -= size
                await send(p.TerminalAck(id=0, terminal=key, size=size))
        elif control.get("type") == "resize":
            cols, rows = int(control["cols"]), int(control["rows"])
            if 1 <= cols <= 1000 and 1 <= rows <= 1000:
                await send(p.TerminalResize(id=0, terminal=key, cols=cols, rows=rows))
    except (ValueError, KeyError, TypeError, AttributeError):
        log.info("terminal %s: ignored an unreadable control message", key)
