"""Log streams of service containers for `logs` requests: tail N lines, optionally follow,
stopped by `logs_stop` or when the session ends. Each stream reads on its own thread."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

from agent.engine import Engine
from agent.events import Session
from agent.protocol import ErrorReply, LogLine, Logs, LogsEnded, Ok

LINE_LIMIT = 8192
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")


def take_lines(partial: bytes, chunk: bytes) -> tuple[list[bytes], bytes]:
    """The complete lines in `partial + chunk`, and the unfinished rest. An unfinished line is
    cut every LINE_LIMIT bytes: a container that never writes a newline must not make the
    agent hold its whole output in memory."""
    *lines, rest = (partial + chunk).split(b"\n")
    while len(rest) > LINE_LIMIT:
        lines.append(rest[:LINE_LIMIT])
        rest = rest[LINE_LIMIT:]
    return lines, rest


def split_stamp(line: bytes) -> tuple[str, bytes]:
    """Docker's `2024-05-01T10:00:00.123456789Z ` prefix, and the line without it. A piece
    take_lines cut off a long line has no prefix of its own: then the stamp is ""."""
    stamp, space, rest = line.partition(b" ")
    if space and STAMP.fullmatch(stamp):
        return stamp.decode(), rest
    return "", line


class LogStreams:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.open: dict[tuple[int, int], Any] = {}  # (id(session), stream id) → docker stream

    async def start(self, session: Session, request: Logs) -> Ok | ErrorReply | None:
        containers = await self.engine.list_own(request.deployment_id)
        found = [c for c in containers if c.step == request.step]
        if not found:
            return ErrorReply(
                id=request.id,
                code="not_found",
                message=f"deployment {request.deployment_id} has no container for {request.step!r}",
            )
        stream = await self.engine.open_logs(
            found[0].id,
            tail=request.tail,
            follow=request.follow,
            since=request.since,
            timestamps=request.timestamps,
        )
        key = (id(session), request.id)
        self.open[key] = stream
        session.send(Ok(id=request.id))  # the reply goes before the first line
        loop = asyncio.get_running_loop()
        thread = threading.Thread(
            target=self._pump, args=(loop, session, request, stream, key), daemon=True
        )
        thread.start()
        return None

    def _pump(
        self,
        loop: asyncio.AbstractEventLoop,
        session: Session,
        request: Logs,
        stream: Any,
        key: tuple[int, int],
    ) -> None:
        partial, reason = b"", "end of log"
        try:
            for chunk in stream:
                lines, partial = take_lines(partial, chunk)
                for line in lines:
                    self._send(loop, session, request, line)
        except Exception:  # closed by stop(), or the container went away
            reason = "stopped"
        if partial:
            self._send(loop, session, request, partial)
        self.open.pop(key, None)
        loop.call_soon_threadsafe(session.send, LogsEnded(stream_id=request.id, reason=reason))

    @staticmethod
    def _send(
        loop: asyncio.AbstractEventLoop, session: Session, request: Logs, line: bytes
    ) -> None:
        stamp = ""
        if request.timestamps:
            stamp, line = split_stamp(line)
        text = line[:LINE_LIMIT].decode(errors="replace").rstrip("\r")
        event = LogLine(
            deployment_id=request.deployment_id,
            step=request.step,
            line=text,
            stream_id=request.id,
            time=stamp,
        )
        loop.call_soon_threadsafe(session.send, event)

    async def stop(self, session: Session, stream_id: int) -> bool:
        stream = self.open.pop((id(session), stream_id), None)
        if stream is None:
            return False
        await asyncio.to_thread(stream.close)
        return True

    async def stop_session(self, session: Session) -> None:
        for key in [key for key in self.open if key[0] == id(session)]:
            stream = self.open.pop(key, None)
            if stream is not None:
                await asyncio.to_thread(stream.close)
