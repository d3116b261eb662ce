"""Server-sent event streams: a deployment's status and step events, and its service logs.

Events come from core.events (PostgreSQL NOTIFY, so any process can serve the stream); logs
come from the agent through the hub. Each stream ends when the browser goes away.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar.response import ServerSentEventMessage

from core import events
from core.actor import Actor
from core.errors import ShoalError
from core.services.deployment_feed import Visibility
from core.services.deployments import DeploymentView
from web import log_follow
from web.log_follow import Cursor

KEEPALIVE_S = 15.0
RECONNECT_MS = 1000


async def deployment_events(deployment_id: int) -> AsyncIterator[ServerSentEventMessage]:
    async for message in topic_events(f"deployment:{deployment_id}"):
        yield message


async def all_deployment_events(actor: Actor) -> AsyncIterator[ServerSentEventMessage]:
    """Status changes of the deployments `actor` may see, for the deployment list."""
    async for message in topic_events(events.ALL_DEPLOYMENTS, Visibility(actor).allows):
        yield message


async def topic_events(
    topic: str, allows: Callable[[dict[str, Any]], Awaitable[bool]] | None = None
) -> AsyncIterator[ServerSentEventMessage]:
    async with events.subscribe(topic) as queue:
        yield ServerSentEventMessage(event="hello", data=json.dumps({"topic": topic}))
        sent_at = time.monotonic()
        while True:
            # Counted from the last message sent, so that a stream whose events are all
            # filtered out still shows proxies and browsers that it is alive.
            wait = KEEPALIVE_S - (time.monotonic() - sent_at)
            try:
                event = await asyncio.wait_for(queue.get(), timeout=max(wait, 0))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                sent_at = time.monotonic()
                continue
            if allows is not None and not await allows(event):
                continue
            yield ServerSentEventMessage(event=event.get("kind", "message"), data=json.dumps(event))
            sent_at = time.monotonic()


def _log_event(line: Any, event_id: str | None = None) -> ServerSentEventMessage:
    payload = {"service": line.step, "line": line.line, "source": line.source, "time": line.time}
    return ServerSentEventMessage(event="log", data=json.dumps(payload), id=event_id)


async def deployment_logs(
    dep: DeploymentView,
    service: str | None,
    tail: int,
    follow: bool,
    reload: Callable[[], Awaitable[DeploymentView]] | None = None,
    resume: str | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """A service's log lines. Followed (with `reload` to re-read the deployment), the stream
    waits for the service to start and outlives restarts and dropped links (web.log_follow);
    `resume` is the Last-Event-ID of a browser reconnecting."""
    from core.hub import get_hub

    if follow and reload is not None:
        async for message in _followed_logs(dep, service or "", tail, reload, resume):
            yield message
        return
    if dep.node_id is None:
        yield ServerSentEventMessage(event="error", data="This deployment has no node.")
        return
    try:
        lines = get_hub().logs(dep.node_id, dep.id, service, tail, follow, timestamps=True)
        async for line in lines:
            yield _log_event(line)
    except ShoalError as exc:
        yield ServerSentEventMessage(event="error", data=exc.detail)
    yield ServerSentEventMessage(event="end", data="")


async def _followed_logs(
    dep: DeploymentView,
    service: str,
    tail: int,
    reload: Callable[[], Awaitable[DeploymentView]],
    resume: str | None,
) -> AsyncIterator[ServerSentEventMessage]:
    from core.hub import AgentNotFound, get_hub

    current = dep

    async def read_status() -> str:
        nonlocal current
        current = await reload()
        return current.status

    async def open_stream(since: float, tail: int) -> AsyncIterator[Any]:
        if current.node_id is None:
            raise AgentNotFound("The deployment is not placed on a node yet.")
        lines = get_hub().logs(current.node_id, current.id, service, tail, True, since, True)
        async for line in lines:
            yield line

    # EventSource reconnects after a dropped stream: soon, and from the last event's id.
    yield ServerSentEventMessage(data=None, comment="log stream", retry=RECONNECT_MS)
    followed = log_follow.follow(open_stream, read_status, service, tail, Cursor.parse(resume))
    async for item in followed:
        if isinstance(item, log_follow.Line):
            yield _log_event(item.line, item.id)
        elif isinstance(item, log_follow.Notice):
            yield ServerSentEventMessage(event="waiting", data=item.text)
        else:
            yield ServerSentEventMessage(event="error", data=item.text)
            yield ServerSentEventMessage(event="end", data="")
