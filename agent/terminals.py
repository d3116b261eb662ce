"""Interactive terminals for `terminal_*` requests: one TTY exec per terminal key, its output
read on a thread of its own and sent as TerminalOutput under a credit window (see
agent.protocol.terminals), closed on `terminal_close`, when the shell ends, or when the
control-plane session that opened it goes away."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from agent.engine import Engine
from agent.events import Session
from agent.protocol import (
    TERMINAL_CHUNK_BYTES,
    TERMINAL_WINDOW_BYTES,
    ErrorReply,
    Ok,
    TerminalEnded,
    TerminalOpen,
    TerminalOutput,
)


@dataclass
class Open:
    pty: Any  # runtime.terminals.Pty (or the unit tests' fake)
    session: Session
    unacked: int = 0
    closed: bool = False
    credit: threading.Condition = field(default_factory=threading.Condition)
    # Each request runs in a task of its own and a write or resize on a worker thread: without
    # this, two keystrokes (or a resize and the `stty size` typed after it) could reach the
    # shell in the wrong order. Waiters get it first come.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)


class Terminals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.open: dict[str, Open] = {}

    async def start(self, session: Session, request: TerminalOpen) -> Ok | ErrorReply:
        if request.terminal in self.open:
            return ErrorReply(id=request.id, code="invalid", message="terminal key in use")
        containers = await self.engine.list_own(request.deployment_id)
        found = [c for c in containers if c.step == request.step and c.state == "running"]
        if not found:
            return ErrorReply(
                id=request.id,
                code="not_found",
                message=f"deployment {request.deployment_id} has no running {request.step!r}",
            )
        pty = await self.engine.open_terminal(
            found[0].id, request.shell, max(request.cols, 1), max(request.rows, 1)
        )
        terminal = self.open[request.terminal] = Open(pty, session)
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=self._pump, args=(loop, request.terminal, terminal), daemon=True
        ).start()
        return Ok(id=request.id)

    def _pump(self, loop: asyncio.AbstractEventLoop, key: str, terminal: Open) -> None:
        reason = "the shell ended"
        while True:
            with terminal.credit:  # a control plane that stops acknowledging stops us here
                terminal.credit.wait_for(
                    lambda: terminal.closed or terminal.unacked < TERMINAL_WINDOW_BYTES
                )
                if terminal.closed:
                    reason = "closed"
                    break
            data = terminal.pty.read(TERMINAL_CHUNK_BYTES)
            if not data:
                break
            with terminal.credit:
                terminal.unacked += len(data)
            loop.call_soon_threadsafe(
                terminal.session.send, TerminalOutput(terminal=key, data=data)
            )
        if terminal.closed:
            reason = "closed"
        code = None
        try:
            code = terminal.pty.exit_code()
        except Exception:  # the container went away with it
            pass
        terminal.pty.close()
        if self.open.get(key) is terminal:
            loop.call_soon_threadsafe(self.open.pop, key, None)
        ended = TerminalEnded(terminal=key, reason=reason, exit_code=code)
        loop.call_soon_threadsafe(terminal.session.send, ended)

    def get(self, session: Session, key: str) -> Open | None:
        terminal = self.open.get(key)
        return terminal if terminal is not None and terminal.session is session else None

    async def write(self, terminal: Open, data: bytes) -> None:
        async with terminal.writing:
            await asyncio.to_thread(terminal.pty.write, data)

    async def resize(self, terminal: Open, cols: int, rows: int) -> None:
        async with terminal.writing:
            await asyncio.to_thread(terminal.pty.resize, max(cols, 1), max(rows, 1))

    @staticmethod
    def ack(terminal: Open, size: int) -> None:
        with terminal.credit:
            terminal.unacked = max(terminal.unacked - size, 0)
            terminal.credit.notify_all()

    async def close(self, terminal: Open) -> None:
        with terminal.credit:
            terminal.closed = True
            terminal.credit.notify_all()
        await asyncio.to_thread(terminal.pty.close)  # ends a read in progress too

    async def close_session(self, session: Session) -> None:
        for terminal in [t for t in self.open.values() if t.session is session]:
            await self.close(terminal)
