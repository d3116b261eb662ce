"""Outbound messages: one writer per control-plane session, and a bus that routes events to
whichever session is current (events raised while none is connected wait in a small buffer)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from msgspec import Struct
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from agent.protocol import LogLine, encode

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000  # log lines wait behind this many messages at most, then are dropped
HARD_LIMIT = 10 * QUEUE_LIMIT  # anything else: a stuck control plane must not grow memory
BUFFER_LIMIT = 1_000


class Session:
    """One authenticated control-plane connection; `send` never blocks the caller."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[Struct] = asyncio.Queue(HARD_LIMIT)
        self.dropped = 0
        self.writer = asyncio.create_task(self._write(), name="session-writer")

    def send(self, message: Struct) -> None:
        # A flood of log lines (a plugin writing 100 MB on stderr) must never push out a step's
        # end, a status or a reply: lines are dropped first, long before anything else.
        if isinstance(message, LogLine) and self.queue.qsize() >= QUEUE_LIMIT:
            self.dropped += 1
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1

    async def _write(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = await self.queue.get()
                await self.ws.send(encode(message), text=True)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.writer.cancel()
        await self.ws.close(code, reason)


class EventBus:
    def __init__(self) -> None:
        self.session: Session | None = None
        self.buffer: deque[Struct] = deque(maxlen=BUFFER_LIMIT)

    def emit(self, event: Struct) -> None:
        if self.session is not None:
            self.session.send(event)
        elif not isinstance(event, LogLine):  # log lines would push out the status events
            self.buffer.append(event)

    def attach(self, session: Session) -> Session | None:
        """Make `session` current and hand it the buffered events; return the one it replaces."""
        previous, self.session = self.session, session
        while self.buffer:
            session.send(self.buffer.popleft())
        return previous

    def detach(self, session: Session) -> None:
        if self.session is session:
            self.session = None
