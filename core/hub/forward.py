"""Requests from follower processes to the hub leader over PostgreSQL LISTEN/NOTIFY.

A follower NOTIFYs the request channel (`HubConfig.channel`) with {from, rid, forward}, where
`forward` is a core.hub.requests.Forward: a typed request message and its node. The leader
LISTENs there, runs the request's handler (core.hub.requests.ROUTES, the same one it runs for
its own callers) and NOTIFYs the follower's reply channel with {rid, ack | result | item | end
| error}. A log stream is many `item`s then `end`; a follower whose consumer goes away sends
{cancel}. An error keeps its class, status and message (core.hub.wire_errors). Payloads are
sealed with the master key (a deploy carries secrets, and NOTIFY payloads may touch the
database's disk) and cut into chunks below PostgreSQL's 8,000-byte limit, reassembled by
message id and index; a message that is not sealed, is stale or was seen before is dropped
(core.hub.envelope).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import msgspec

from core.errors import AgentUnavailable, ShoalError
from core.hub.config import HubConfig
from core.hub.envelope import Reassembler, ReplayGuard, chunks, seal, unseal
from core.hub.requests import ROUTES, Forward, Leader
from core.hub.wire_errors import WireError, from_wire, to_wire

log = logging.getLogger("shoal.hub")

ACK_WITHIN_S = 3.0  # the leader acknowledges at once; silence means there is no leader


class Host(Leader, Protocol):
    """What the forwarder uses of its hub (core.hub.hub.Hub)."""

    config: HubConfig
    process_id: str
    is_leader: bool

    async def ensure_started(self) -> None: ...


async def _notify(channel: str, message: dict[str, Any], message_id: str) -> None:
    from piccolo.querystring import QueryString

    from core.piccolo_conf import DB

    for payload in chunks(message_id, seal(message)):
        await DB.run_querystring(QueryString("SELECT pg_notify({}, {})", channel, payload))


class Forwarder:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Queue] = {}
        self.serving: dict[tuple[str, int], asyncio.Task] = {}
        self.requests, self.replies = Reassembler(), Reassembler()
        self.guard = ReplayGuard()
        self.listening = asyncio.Event()

    @property
    def reply_channel(self) -> str:
        return f"{self.host.config.channel}_{self.host.process_id}"

    def _message_id(self) -> str:
        return f"{self.host.process_id}.{next(self.ids)}"

    async def listen_replies(self, connection: Any) -> None:
        await connection.add_listener(self.reply_channel, self._on_reply)
        self.listening.set()

    async def listen_requests(self, connection: Any) -> None:
        await connection.add_listener(self.host.config.channel, self._on_request)

    def stop_serving(self) -> None:
        for task in self.serving.values():
            task.cancel()
        self.serving.clear()

    # ---- follower side

    async def _post(self, rid: int, body: dict[str, Any]) -> None:
        message = {"from": self.host.process_id, "rid": rid, **body}
        await _notify(self.host.config.channel, message, self._message_id())

    async def notify(self, forward: Forward) -> None:
        """Send without waiting for an answer (change notices: the leader also polls)."""
        await self._post(0, {"forward": msgspec.to_builtins(forward)})

    async def _send(self, forward: Forward) -> tuple[int, asyncio.Queue]:
        await self.host.ensure_started()
        try:
            await asyncio.wait_for(self.listening.wait(), ACK_WITHIN_S)
        except TimeoutError:
            raise AgentUnavailable(
                "This process cannot listen for hub replies (is the database reachable?)."
            ) from None
        rid = next(self.ids)
        queue: asyncio.Queue = asyncio.Queue()
        self.waiting[rid] = queue
        await self._post(rid, {"forward": msgspec.to_builtins(forward)})
        try:
            await self._next(queue, ACK_WITHIN_S)
        except BaseException:
            self.waiting.pop(rid, None)
            raise
        return rid, queue

    async def _next(self, queue: asyncio.Queue, within: float) -> dict[str, Any]:
        try:
            reply = await asyncio.wait_for(queue.get(), within)
        except TimeoutError:
            raise AgentUnavailable(
                f"No hub process answered within {within:g} s (is a `shoal serve` running, "
                "and can it reach the database?)."
            ) from None
        if "error" in reply:
            raise from_wire(msgspec.convert(reply["error"], WireError))
        return reply

    # Conversions are lax (strict=False) because JSON turned int keys (metrics per
    # deployment id) into strings on the way.

    async def call(self, forward: Forward) -> Any:
        result_type = ROUTES[type(forward.request)].result
        rid, queue = await self._send(forward)
        try:
            # A request with its own timeout (exec) may take longer than the usual one.
            own = float(getattr(forward.request, "timeout_s", 0.0))
            within = max(self.host.config.request_timeout_s, own) + 5
            reply = await self._next(queue, within)
        finally:
            self.waiting.pop(rid, None)
        return (
            None
            if result_type is None
            else msgspec.convert(reply["result"], result_type, strict=False)
        )

    async def stream(self, forward: Forward) -> AsyncIterator[Any]:
        item_type = ROUTES[type(forward.request)].result
        # A followed log or a terminal may stay quiet for long; other streams answer soon.
        follows = bool(getattr(forward.request, "follow", False)) or hasattr(
            forward.request, "terminal"
        )
        rid, queue = await self._send(forward)
        ended = False
        try:
            while True:
                within = 24 * 3600 if follows else self.host.config.request_timeout_s
                reply = await self._next(queue, within)
                if reply.get("end"):
                    ended = True
                    return
                yield msgspec.convert(reply["item"], item_type, strict=False)
        finally:
            self.waiting.pop(rid, None)
            if not ended:
                with contextlib.suppress(Exception):
                    await self._post(0, {"cancel": rid})

    def _on_reply(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            whole = self.replies.add(payload)
            if whole is not None:
                reply = unseal(whole, self.guard)
                queue = self.waiting.get(reply["rid"])
                if queue is not None:
                    queue.put_nowait(reply)
        except Exception:
            log.warning("hub: ignored an unreadable reply notification")

    # ---- leader side

    def _on_request(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            whole = self.requests.add(payload)
            if whole is None:
                return
            message = unseal(whole, self.guard)
        except Exception as error:  # unsealed, stale, replayed or broken: never acted on
            log.warning("hub: ignored a request notification (%s)", error or type(error).__name__)
            return
        if "cancel" in message:
            task = self.serving.pop((message["from"], message["cancel"]), None)
            if task is not None:
                task.cancel()
            return
        key = (message["from"], message["rid"])
        task = asyncio.create_task(self._serve(message))
        if message["rid"]:
            self.serving[key] = task
            task.add_done_callback(lambda _t: self.serving.pop(key, None))

    async def _serve(self, message: dict[str, Any]) -> None:
        rid = message["rid"]
        channel = f"{self.host.config.channel}_{message['from']}"
        reply: dict[str, Any]
        if rid:
            await _notify(channel, {"rid": rid, "ack": True}, self._message_id())
        try:
            if not self.host.is_leader:  # leadership moved while the request was on its way
                raise AgentUnavailable("The hub is changing hands; try again in a moment.")
            try:
                forward = msgspec.convert(message.get("forward"), Forward, strict=False)
            except msgspec.ValidationError as error:  # another version's follower
                raise AgentUnavailable(
                    f"This hub leader cannot read the request: {error}"
                ) from None
            route = ROUTES[type(forward.request)]
            outcome = route.handle(self.host, forward.node_id, forward.request)
            if route.stream:
                async for item in outcome:
                    body = {"rid": rid, "item": msgspec.to_builtins(item)}
                    await _notify(channel, body, self._message_id())
                reply = {"rid": rid, "end": True}
            else:
                reply = {"rid": rid, "result": msgspec.to_builtins(await outcome)}
        except ShoalError as error:
            reply = {"rid": rid, "error": msgspec.to_builtins(to_wire(error))}
        except Exception as error:
            log.exception("hub: a forwarded request failed")
            wire = to_wire(AgentUnavailable(f"hub error: {error}"))
            reply = {"rid": rid, "error": msgspec.to_builtins(wire)}
        if rid:
            await _notify(channel, reply, self._message_id())
