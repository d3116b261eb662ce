"""Requests from follower processes to the hub leader over PostgreSQL LISTEN/NOTIFY.

A follower NOTIFYs the request channel (`HubConfig.channel`) with {op, from, rid, args}; the
leader LISTENs there, runs the op and NOTIFYs the follower's own reply channel with {rid,
result | error | item | end}. A log stream is many `item`s then `end`; a follower whose
consumer goes away sends `cancel`. Payloads are sealed with the master key (a deploy carries
secrets, and NOTIFY payloads may touch the database's disk) and cut into chunks below
PostgreSQL's 8,000-byte limit, reassembled by message id and index; a message that is not
sealed, is stale or was seen before is dropped (core.hub.envelope).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import msgspec

from agent import protocol as p
from core.errors import AgentUnavailable, ShoalError
from core.hub.envelope import Reassembler, ReplayGuard, chunks, seal, unseal
from core.hub.session import AgentNotFound, AgentRequestFailed

if TYPE_CHECKING:
    from core.hub.hub import Hub

log = logging.getLogger("shoal.hub")

ACK_WITHIN_S = 3.0  # the leader acknowledges at once; silence means there is no leader
ERRORS: dict[str, type[ShoalError]] = {
    "AgentUnavailable": AgentUnavailable,
    "AgentRequestFailed": AgentRequestFailed,
    "AgentNotFound": AgentNotFound,
}


async def _notify(channel: str, message: dict[str, Any], message_id: str) -> None:
    from piccolo.querystring import QueryString

    from core.piccolo_conf import DB

    for payload in chunks(message_id, seal(message)):
        await DB.run_querystring(QueryString("SELECT pg_notify({}, {})", channel, payload))


class Forwarder:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Queue] = {}
        self.serving: dict[tuple[str, int], asyncio.Task] = {}
        self.requests, self.replies = Reassembler(), Reassembler()
        self.guard = ReplayGuard()
        self.listening = asyncio.Event()

    @property
    def reply_channel(self) -> str:
        return f"{self.hub.config.channel}_{self.hub.process_id}"

    def _message_id(self) -> str:
        return f"{self.hub.process_id}.{next(self.ids)}"

    async def listen_replies(self, connection: Any) -> None:
        await connection.add_listener(self.reply_channel, self._on_reply)
        self.listening.set()

    async def listen_requests(self, connection: Any) -> None:
        await connection.add_listener(self.hub.config.channel, self._on_request)

    def stop_serving(self) -> None:
        for task in self.serving.values():
            task.cancel()
        self.serving.clear()

    # ---- follower side

    async def notify(self, op: str, **args: Any) -> None:
        message = {"op": op, "from": self.hub.process_id, "rid": 0, "args": args}
        await _notify(self.hub.config.channel, message, self._message_id())

    async def _send(self, op: str, args: dict[str, Any]) -> tuple[int, asyncio.Queue]:
        await self.hub.ensure_started()
        try:
            await asyncio.wait_for(self.listening.wait(), ACK_WITHIN_S)
        except TimeoutError:
            raise AgentUnavailable(
                "This process cannot listen for hub replies (is the database reachable?)."
            ) from None
        rid = next(self.ids)
        queue: asyncio.Queue = asyncio.Queue()
        self.waiting[rid] = queue
        message = {"op": op, "from": self.hub.process_id, "rid": rid, "args": args}
        await _notify(self.hub.config.channel, message, self._message_id())
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
            raise ERRORS.get(reply["error"], ShoalError)(reply["detail"])
        return reply

    async def call(self, op: str, **args: Any) -> Any:
        rid, queue = await self._send(op, args)
        try:
            reply = await self._next(queue, self.hub.config.request_timeout_s + 5)
        finally:
            self.waiting.pop(rid, None)
        result = reply.get("result")
        return msgspec.convert(result, p.MetricsReply) if op == "metrics" else result

    async def stream(self, op: str, **args: Any) -> AsyncIterator[p.LogLine]:
        rid, queue = await self._send(op, args)
        ended = False
        try:
            while True:
                within = 24 * 3600 if args.get("follow") else self.hub.config.request_timeout_s
                reply = await self._next(queue, within)
                if reply.get("end"):
                    ended = True
                    return
                yield msgspec.convert(reply["item"], p.LogLine)
        finally:
            self.waiting.pop(rid, None)
            if not ended:
                with contextlib.suppress(Exception):
                    await self.notify("cancel", rid=rid, sender=self.hub.process_id)

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
        if message["op"] == "cancel":
            key = (message["args"]["sender"], message["args"]["rid"])
            task = self.serving.pop(key, None)
            if task is not None:
                task.cancel()
            return
        key = (message["from"], message["rid"])
        task = asyncio.create_task(self._serve(message))
        if message["rid"]:
            self.serving[key] = task
            task.add_done_callback(lambda _t: self.serving.pop(key, None))

    async def _serve(self, message: dict[str, Any]) -> None:
        op, args, rid = message["op"], message["args"], message["rid"]
        channel = f"{self.hub.config.channel}_{message['from']}"
        reply: dict[str, Any]
        if rid:
            await _notify(channel, {"rid": rid, "ack": True}, self._message_id())
        try:
            if not self.hub.is_leader:  # leadership moved while the request was on its way
                raise AgentUnavailable("The hub is changing hands; try again in a moment.")
            if op == "logs":
                async for line in self.hub.logs(**args):
                    item = {"rid": rid, "item": msgspec.to_builtins(line)}
                    await _notify(channel, item, self._message_id())
                reply = {"rid": rid, "end": True}
            else:
                reply = {"rid": rid, "result": msgspec.to_builtins(await self._run(op, args))}
        except ShoalError as error:
            reply = {"rid": rid, "error": type(error).__name__, "detail": error.detail}
        except Exception as error:
            log.exception("hub: forwarded %s failed", op)
            reply = {"rid": rid, "error": "AgentUnavailable", "detail": f"hub error: {error}"}
        if rid:
            await _notify(channel, reply, self._message_id())

    async def _run(self, op: str, args: dict[str, Any]) -> Any:
        hub = self.hub
        if op == "refresh":
            return await hub.refresh(args["node_id"])
        if op == "deploy":
            spec = msgspec.convert(args["spec"], p.DeploymentSpec)
            return await hub.deploy(args["node_id"], spec)
        if op == "delete":
            return await hub.delete(args["node_id"], args["deployment_id"])
        if op == "metrics":
            return await hub.metrics(args["node_id"])
        if op == "rotate_token":
            return await hub.rotate_token(args["node_id"], args["new_key"])
        if op == "plugins":
            return await hub.plugins_changed()
        raise AgentUnavailable(f"unknown hub request {op!r}")
