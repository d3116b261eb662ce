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

KEEPALIVE_S = 15.0


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


async def deployment_logs(
    dep: DeploymentView, service: str | None, tail: int, follow: bool
) -> AsyncIterator[ServerSentEventMessage]:
    from core.hub import get_hub

    if dep.node_id is None:
        yield ServerSentEventMessage(event="error", data="This deployment has no node.")
        return
    try:
        async for line in get_hub().logs(dep.node_id, dep.id, service, tail, follow):
            payload = {"service": line.step, "line": line.line, "source": line.source}
            yield ServerSentEventMessage(event="log", data=json.dumps(payload))
    except ShoalError as exc:
        yield ServerSentEventMessage(event="error", data=exc.detail)
    yield ServerSentEventMessage(event="end", data="")
