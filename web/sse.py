"""Server-sent event streams: a deployment's status and step events, and its service logs.

Events come from core.events (PostgreSQL NOTIFY, so any process can serve the stream); logs
come from the agent through the hub. Each stream ends when the browser goes away.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from litestar.response import ServerSentEventMessage

from core import events
from core.errors import ShoalError
from core.services.deployments import DeploymentView

KEEPALIVE_S = 15.0


async def deployment_events(deployment_id: int) -> AsyncIterator[ServerSentEventMessage]:
    async for message in topic_events(f"deployment:{deployment_id}"):
        yield message


async def topic_events(topic: str) -> AsyncIterator[ServerSentEventMessage]:
    async with events.subscribe(topic) as queue:
        yield ServerSentEventMessage(event="hello", data=json.dumps({"topic": topic}))
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            yield ServerSentEventMessage(event=event.get("kind", "message"), data=json.dumps(event))


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
