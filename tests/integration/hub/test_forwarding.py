"""A follower's requests reach the agents through the leader (LISTEN/NOTIFY): a deploy, its
logs and its delete work as they do on the leader, and an error the leader raises arrives at
the follower's caller as the same class, status and message (not a 500)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import msgspec
import pytest

from core.errors import (
    AgentUnavailable,
    CapacityExceeded,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ShoalError,
    Throttled,
    Unavailable,
)
from core.hub import AgentNotFound, AgentRequestFailed, Hub
from core.hub.wire_errors import WireError, from_wire
from core.tables import Deployment
from shoaltest.agent import httpd_service, make_spec
from shoaltest.hub import add_node_with_agent, deployment_on, started_hub, until, wait_status


@pytest.fixture
async def follower(hub: Hub) -> AsyncIterator[Hub]:
    follower = await started_hub(hub.dsn, dataclasses.replace(hub.config, role="follower"))
    yield follower
    await follower.stop()


RAISED = [
    NotFound("No such node."),
    Forbidden("Not yours."),
    Conflict("Name taken.", field="name"),
    InvalidInput("Bad port.", field="port"),
    Throttled("Slow down.", retry_after=7),
    CapacityExceeded("No node fits."),
    Unavailable("The registry is down."),
    AgentUnavailable("Not connected."),
    AgentRequestFailed("The agent refused it."),
    AgentNotFound("No container."),
    ShoalError("Something else."),
]


@pytest.mark.parametrize("raised", RAISED, ids=lambda e: type(e).__name__)
async def test_an_error_on_the_leader_reaches_the_follower_as_itself(
    hub, follower, monkeypatch, raised
):
    def refuse(node_id: int):
        raise raised

    monkeypatch.setattr(hub, "local", refuse)  # what the leader does first for a node request
    with pytest.raises(ShoalError) as caught:
        await follower.metrics(12345)
    error = caught.value
    assert type(error) is type(raised)
    assert error.status_code == raised.status_code
    assert error.detail == raised.detail
    assert getattr(error, "field", None) == getattr(raised, "field", None)
    assert getattr(error, "retry_after", None) == getattr(raised, "retry_after", None)


async def test_a_node_without_an_agent_is_unavailable_through_the_follower(hub, follower):
    with pytest.raises(AgentUnavailable, match="not connected") as caught:
        await follower.metrics(987654)
    assert caught.value.status_code == 503


async def test_a_request_the_leader_cannot_read_is_answered_not_dropped(hub, follower):
    """A follower of another version (here the old op-name form) hears why at once."""
    forwarder = follower.forwarder
    await asyncio.wait_for(forwarder.listening.wait(), 10)
    rid, replies = 10**9, asyncio.Queue()
    forwarder.waiting[rid] = replies
    await forwarder._post(rid, {"op": "metrics", "args": {"node_id": 1}})
    assert (await asyncio.wait_for(replies.get(), 10)).get("ack")
    reply = await asyncio.wait_for(replies.get(), 10)
    error = from_wire(msgspec.convert(reply["error"], WireError))
    assert type(error) is AgentUnavailable and "cannot read the request" in error.detail


@pytest.mark.docker
async def test_a_forwarded_deploy_logs_and_delete(
    hub, follower, hub_env, agent_factory, busybox_image
):
    admin, env_id = hub_env
    node, _agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    deployment_id = await deployment_on(node.id, env_id, status="pending")
    web = httpd_service("web", busybox_image)
    web.config.command = ["sh", "-c", "echo forwarded; exec httpd -f -p 8080 -h /www"]
    spec = make_spec(deployment_id, [web], cpu=0.5, memory_mb=128)

    await follower.deploy(node.id, spec)

    async def running() -> bool:
        row = await Deployment.select(Deployment.status).where(Deployment.id == deployment_id)
        return bool(row) and row[0]["status"] == "running"

    await until(running, 60)
    lines = [line.line async for line in follower.logs(node.id, deployment_id, "web", 10, False)]
    assert lines[:1] == ["forwarded"]
    # The agent's own refusal crosses both hops with its class.
    with pytest.raises(AgentNotFound):
        async for _line in follower.logs(node.id, deployment_id, "no-such-service", 10, False):
            pass
    metrics = await follower.metrics(node.id)
    assert metrics.metrics.capacity.cpus >= 1

    await follower.delete(node.id, deployment_id)

    async def gone() -> bool:
        return not any(deployment_id == s.deployment_id for s in await _states(hub, node.id))

    await until(gone, 30)


async def _states(hub: Hub, node_id: int) -> list:
    from agent import protocol as p

    reply = await hub.local(node_id).request(p.GetState)
    return reply.deployments
