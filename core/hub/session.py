"""One authenticated session with an agent: the read loop, replies matched by id, events handed
to the sink in order, log streams, and the heartbeat watchdog.

A frame the protocol cannot read is logged and skipped (the session goes on); silence longer
than the heartbeat timeout, a dropped socket or a broken frame ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import typing
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from agent import protocol as p
from core.errors import AgentUnavailable, ShoalError
from core.hub.config import HubConfig
from core.hub.sink import Sink

log = logging.getLogger("shoal.hub")

EVENT_QUEUE = 10_000  # live log lines wait behind this many events at most, then are dropped
EVENT_HARD_LIMIT = 10 * EVENT_QUEUE  # any other event (a step's end, a status) waits up to this
INBOUND = p.Reply | p.Event
STREAM_QUEUE = 2_000


class AgentRequestFailed(ShoalError):
    """The agent answered a request with an error reply."""

    status_code = 502


class AgentNotFound(AgentRequestFailed):
    """The agent answered `not_found`: for logs, the service has no container (yet)."""


class Session:
    def __init__(self, ws: ClientConnection, config: HubConfig) -> None:
        self.ws, self.config = ws, config
        self.pending: dict[int, asyncio.Future] = {}
        self.streams: dict[int, asyncio.Queue] = {}
        # Terminal output by terminal key; bounded by the agent's credit window, not here.
        self.terminals: dict[str, asyncio.Queue] = {}
        self.closed = False
        self.reason = "connection closed"
        self.garbage = 0
        self.dropped_lines = 0

    async def read(self, node_id: int, sink: Sink) -> None:
        events: asyncio.Queue = asyncio.Queue(EVENT_HARD_LIMIT)
        worker = asyncio.create_task(self._deliver(node_id, sink, events))
        loop = asyncio.get_running_loop()
        silence = self.config.heartbeat_timeout_s
        try:
            # One deadline moved on every frame: cheaper than a wait_for (a task) per frame.
            async with asyncio.timeout(None) as deadline:
                while True:
                    deadline.reschedule(loop.time() + silence)
                    frame = await self.ws.recv(decode=False)
                    try:
                        message = p.decode(frame, INBOUND)
                    except msgspec.MsgspecError as error:
                        self.garbage += 1
                        log.warning("node %s sent an unreadable frame: %s", node_id, error)
                        continue
                    self._route(message, events)
        except TimeoutError:
            self.end(f"no heartbeat for {silence:g} s")
        except ConnectionClosed as closed:
            self.end(_closed_text(closed))
        finally:
            self.end(None)
            await _drain(events, worker)

    def _route(self, message: Any, events: asyncio.Queue) -> None:
        if isinstance(message, (p.TerminalOutput, p.TerminalEnded)):
            queue = self.terminals.get(message.terminal)
            if queue is not None:
                queue.put_nowait(message)
            return
        if isinstance(message, (p.LogLine, p.LogsEnded)) and message.stream_id in self.streams:
            queue = self.streams[message.stream_id]
            item = message if isinstance(message, p.LogLine) else None
            if item is None or not queue.full():  # a slow reader loses lines, never the end
                queue.put_nowait(item)
            return
        request_id = getattr(message, "id", None) if _is_reply(message) else None
        future = self.pending.pop(request_id, None) if request_id is not None else None
        if future is not None:
            if not future.done():
                future.set_result(message)
            return
        if _is_reply(message):
            log.info("reply without a waiting request: %s", message)
            return
        # A plugin flooding stderr must not push a step's end or a status out: lines go first.
        if isinstance(message, p.LogLine) and events.qsize() >= EVENT_QUEUE:
            self.dropped_lines += 1
            return
        try:
            events.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("event queue full; dropped %s", type(message).__name__)

    @staticmethod
    async def _deliver(node_id: int, sink: Sink, events: asyncio.Queue) -> None:
        while True:
            event = await events.get()
            if event is None:
                return
            try:
                await sink.event(node_id, event)
            except Exception:
                log.exception("node %s: recording %s failed", node_id, type(event).__name__)

    def end(self, reason: str | BaseException | None) -> None:
        """Mark the session over: fail waiting requests, end log streams (idempotent)."""
        if reason is not None and not self.closed:
            self.reason = reason if isinstance(reason, str) else _describe_end(reason)
        if self.closed:
            return
        self.closed = True
        for future in self.pending.values():
            if not future.done():
                future.set_exception(
                    AgentUnavailable(f"Connection to the agent lost: {self.reason}.")
                )
        self.pending.clear()
        for queue in self.streams.values():
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        for key, queue in self.terminals.items():
            lost = f"connection to the agent lost: {self.reason}"
            queue.put_nowait(p.TerminalEnded(terminal=key, reason=lost))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.end("closed by the control plane")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code, reason), 3)

    async def request(self, message: Any, within: float) -> Any:
        if self.closed:
            raise AgentUnavailable(f"Connection to the agent lost: {self.reason}.")
        future = asyncio.get_running_loop().create_future()
        self.pending[message.id] = future
        try:
            await self.ws.send(p.encode(message), text=True)
            reply = await asyncio.wait_for(future, within)
        except ConnectionClosed as closed:
            raise AgentUnavailable(
                f"Connection to the agent lost: {_closed_text(closed)}."
            ) from None
        except TimeoutError:
            raise AgentUnavailable(
                f"The agent did not answer {type(message).__name__} within {within:g} s."
            ) from None
        finally:
            self.pending.pop(message.id, None)
        if isinstance(reply, p.ErrorReply):
            error = AgentNotFound if reply.code == "not_found" else AgentRequestFailed
            raise error(
                f"The agent refused {type(message).__name__}: {reply.message} ({reply.code})."
            )
        return reply

    async def send(self, message: Any) -> None:
        """A request nobody waits on (terminal input, resize, ack, close)."""
        if self.closed:
            raise AgentUnavailable(f"Connection to the agent lost: {self.reason}.")
        try:
            await self.ws.send(p.encode(message), text=True)
        except ConnectionClosed as closed:
            raise AgentUnavailable(
                f"Connection to the agent lost: {_closed_text(closed)}."
            ) from None

    async def terminal(self, request: p.TerminalOpen) -> AsyncIterator[Any]:
        """Open a terminal: first an empty TerminalOutput once the agent runs the shell (input
        sent before would find no terminal), then its output, then one TerminalEnded."""
        queue: asyncio.Queue = asyncio.Queue()
        self.terminals[request.terminal] = queue
        ended = False
        try:
            await self.request(request, self.config.request_timeout_s)
            yield p.TerminalOutput(terminal=request.terminal, data=b"")
            while not ended:
                item = await queue.get()
                ended = isinstance(item, p.TerminalEnded)
                yield item
        finally:
            self.terminals.pop(request.terminal, None)
            if not ended and not self.closed:  # the reader went away: close the agent's side
                with contextlib.suppress(Exception):
                    await self.send(p.TerminalClose(id=0, terminal=request.terminal))

    async def logs(self, request: p.Logs, next_id: Callable[[], int]) -> AsyncIterator[p.LogLine]:
        queue: asyncio.Queue = asyncio.Queue(STREAM_QUEUE)
        self.streams[request.id] = queue
        ended = False
        try:
            try:
                await self.request(request, self.config.request_timeout_s)
            except AgentRequestFailed:
                ended = True  # refused (no container yet): there is no stream to stop
                raise
            while True:
                line = await queue.get()
                if line is None:
                    ended = True
                    return
                yield line
        finally:
            self.streams.pop(request.id, None)
            if not ended and not self.closed:  # the consumer went away: stop the agent's stream
                stop = p.LogsStop(id=next_id(), stream_id=request.id)
                with contextlib.suppress(Exception):
                    await self.ws.send(p.encode(stop), text=True)


def _is_reply(message: Any) -> bool:
    return isinstance(message, typing.get_args(p.Reply))


def _closed_text(closed: ConnectionClosed) -> str:
    if closed.rcvd is not None:
        reason = f" ({closed.rcvd.reason})" if closed.rcvd.reason else ""
        return f"the agent closed the connection, code {closed.rcvd.code}{reason}"
    return "the connection dropped"


def _describe_end(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed):
        return _closed_text(error)
    return str(error) or type(error).__name__


async def _drain(events: asyncio.Queue, worker: asyncio.Task) -> None:
    """Let the events read so far reach the sink (a final status matters), then stop."""
    try:
        events.put_nowait(None)
    except asyncio.QueueFull:
        worker.cancel()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(worker, 10)
