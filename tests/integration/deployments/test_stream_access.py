"""/deployments/stream-all, the deployment list's live feed, over a real HTTP server and the
real database: each subscriber receives status events only of deployments they may see."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx

from core import events
from core.services import deployment_feed, teams
from core.tables import Deployment, PipelineVersion, Project
from shoaltest.db import insert_row
from shoaltest.served import served
from shoaltest.web import WebClient


async def sse(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    """(event name, data) of each server-sent event; comments (keep-alives) are skipped."""
    name, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield name, json.loads("\n".join(data))
            name, data = "message", []


async def deployment_of(project: int, environment: int, name: str) -> int:
    """A running deployment with a pipeline version of its own."""
    version = await insert_row(PipelineVersion(project=project, version=1, graph={}))
    return await insert_row(
        Deployment(
            project=project,
            environment=environment,
            pipeline_version=version,
            name=name,
            status="running",
        )
    )


async def statuses_until(stream, deployment_id: int) -> list[tuple[int, str]]:
    """Status events (deployment id, error text) up to and including one of `deployment_id`."""
    seen = []
    async with asyncio.timeout(10):
        async for name, data in stream:
            if name == "status":
                seen.append((int(data["topic"].split(":")[1]), data.get("error", "")))
                if seen[-1][0] == deployment_id:
                    return seen
    raise AssertionError("the stream ended")


async def open_stream(http: WebClient, stack) -> AsyncIterator[tuple[str, dict]]:
    response = await stack.enter_async_context(http.stream("GET", "/deployments/stream-all"))
    assert response.status_code == 200
    stream = sse(response)
    name, _ = await anext(stream)
    assert name == "hello"
    return stream


async def test_a_user_never_receives_events_of_deployments_they_cannot_see(
    web_app, world, queue, monkeypatch
):
    monkeypatch.setattr(deployment_feed, "GRANTS_TTL_S", 0.0)  # re-read grants at every event
    payroll = await insert_row(Project(name="payroll", cpu=0.1, memory_mb=64))
    hidden = await deployment_of(payroll, world.env_id, "salaries")  # no grant covers it
    shop_version = await PipelineVersion.select(PipelineVersion.id).first().run()
    visible = await insert_row(
        Deployment(
            project=world.project_id,
            environment=world.env_id,
            pipeline_version=shop_version["id"],
            name="shop-1",
            status="running",
        )
    )
    granted = await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    async with served(web_app) as url, contextlib.AsyncExitStack() as stack:
        quinn = await stack.enter_async_context(WebClient(base_url=url, timeout=30))
        admin = await stack.enter_async_context(WebClient(base_url=url, timeout=30))
        assert (await quinn.login("quinn", "quinn-password-1")).status_code == 303
        assert (await admin.login("admin", "admin-password-1")).status_code == 303
        quinn_stream = await open_stream(quinn, stack)
        admin_stream = await open_stream(admin, stack)

        await events.publish(
            f"deployment:{hidden}", kind="status", status="failed", error="db password wrong"
        )
        await events.publish(f"deployment:{visible}", kind="status", status="running", error="")
        assert await statuses_until(quinn_stream, visible) == [(visible, "")]
        assert await statuses_until(admin_stream, visible) == [
            (hidden, "db password wrong"),
            (visible, ""),
        ]

        # a revoked grant stops the flow too, on a stream opened while it was in force
        await teams.revoke_grant(world.admin, granted.id)
        await events.publish(f"deployment:{visible}", kind="status", status="failed", error="x")
        await events.publish(f"deployment:{hidden}", kind="status", status="deleted", error="")
        assert await statuses_until(admin_stream, hidden) == [(visible, "x"), (hidden, "")]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.5):
                async for name, data in quinn_stream:
                    raise AssertionError(f"quinn received {name} {data} without a grant")
