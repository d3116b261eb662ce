"""Live events for SSE pages, fanned out to every control-plane process through PostgreSQL.

`publish(topic, data)` sends a NOTIFY on one channel; every process LISTENs on it and hands
each event to its local subscribers of that topic. So a browser connected to any `serve`
process sees what the hub leader (or a worker) reports. Topics are strings such as
`deployment:42`, `environment:3`, `node:7`. Payloads are small JSON objects (NOTIFY allows
8,000 bytes; bigger ones are cut to a pointer the page can fetch).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

CHANNEL = "shoal_events"
MAX_PAYLOAD = 7900
QUEUE_SIZE = 1000
ALL_DEPLOYMENTS = "deployments"  # receives the status events of every deployment

_subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
_listener: asyncpg.Connection | None = None


def _dispatch(topic: str, data: dict[str, Any]) -> None:
    # Deployment lists follow every deployment's status without a topic per row.
    listeners = set(_subscribers.get(topic, ()))
    if topic.startswith("deployment:") and data.get("kind") == "status":
        listeners |= _subscribers.get(ALL_DEPLOYMENTS, set())
    for queue in listeners:
        if queue.full():  # a slow page loses the oldest event, never blocks the publisher
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait({"topic": topic, **data})


def _on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
    try:
        message = json.loads(payload)
        _dispatch(message["topic"], message["data"])
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed event payload")


async def start(dsn: str) -> None:
    """LISTEN for events from every process (called once per process at start-up)."""
    global _listener
    if _listener is None:
        _listener = await asyncpg.connect(dsn)
        await _listener.add_listener(CHANNEL, _on_notify)


async def stop() -> None:
    global _listener
    if _listener is not None:
        with contextlib.suppress(Exception):
            await _listener.close()
        _listener = None


async def publish(topic: str, **data: Any) -> None:
    """Deliver to every process's subscribers of `topic` (locally only when not started)."""
    payload = json.dumps({"topic": topic, "data": data}, default=str)
    if len(payload) > MAX_PAYLOAD:
        payload = json.dumps({"topic": topic, "data": {"kind": data.get("kind"), "cut": True}})
    if _listener is None:
        _dispatch(topic, json.loads(payload)["data"])
        return
    from piccolo.querystring import QueryString

    from core.piccolo_conf import DB

    try:
        await DB.run_querystring(QueryString("SELECT pg_notify({}, {})", CHANNEL, payload))
    except Exception:  # live updates are best effort; the page can always be reloaded
        log.exception("could not publish an event on %s", topic)


@contextlib.asynccontextmanager
async def subscribe(*topics: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
    for topic in topics:
        _subscribers[topic].add(queue)
    try:
        yield queue
    finally:
        for topic in topics:
            _subscribers[topic].discard(queue)
            if not _subscribers[topic]:
                del _subscribers[topic]
