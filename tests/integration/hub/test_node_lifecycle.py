"""The real hub against real agent processes over TLS, with a real PostgreSQL: first contact,
heartbeats, offline on kill and on silence, back online, certificate change, token rotation,
wrong token, unreachable port."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time

import pytest

from agent import protocol as p
from core.services import nodes
from core.tables import Deployment, NodeSample
from shoaltest.agent import AgentClient, HandshakeRefused
from shoaltest.hub import add_node_with_agent, deployment_on, node_row, until, wait_status


async def test_first_contact_pins_the_certificate_and_heartbeats_fill_the_node(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    row = await wait_status(node.id, "online")
    assert row["thumbprint"] == agent.thumbprint
    assert row["agent_version"] and row["protocol_version"] == p.PROTOCOL_VERSION
    assert row["publish_address"] == "127.0.0.1"

    async def beating():
        r = await node_row(node.id)
        return r if r["last_heartbeat_at"] is not None else None

    row = await until(beating, 10)
    view = await nodes.get_node(node.id)
    assert view.capacity["cpus"] >= 1 and view.capacity["memory_mb"] > 0
    assert view.usage["memory_used_mb"] > 0 and row["docker_status"] in ("ok", "unavailable")

    async def sampled():  # the sample is written just after the beat that `beating` saw
        return await NodeSample.count().where(NodeSample.node == node.id).run()

    assert await until(sampled, 10) >= 1
    metrics = await hub.metrics(node.id)
    assert isinstance(metrics, p.MetricsReply) and metrics.metrics.capacity.cpus >= 1


async def test_kill_marks_node_and_deployments_offline_then_restart_brings_them_back(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    deployment_id = await deployment_on(node.id, env_id, status="running")
    agent.kill()
    started = time.monotonic()
    row = await wait_status(node.id, "offline", within=4)
    assert time.monotonic() - started < 4
    assert row["last_error"]
    status = await Deployment.select(Deployment.status).where(Deployment.id == deployment_id).run()
    assert status[0]["status"] == "offline"
    await asyncio.to_thread(agent.start)
    started = time.monotonic()
    await wait_status(node.id, "online", within=10)
    print(f"agent restart → online in {time.monotonic() - started:.2f} s")
    assert (await node_row(node.id))["last_error"] == ""


async def test_a_silent_agent_goes_offline_within_the_heartbeat_timeout(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    agent.process.send_signal(signal.SIGSTOP)  # TCP stays up, nothing is sent
    try:
        started = time.monotonic()
        row = await wait_status(node.id, "offline", within=hub.config.heartbeat_timeout_s + 3)
        assert time.monotonic() - started <= hub.config.heartbeat_timeout_s + 3
        assert "no heartbeat" in row["last_error"]
    finally:
        agent.process.send_signal(signal.SIGCONT)
    await wait_status(node.id, "online", within=10)


async def test_a_new_certificate_makes_the_node_untrusted_until_approved(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    first = (await wait_status(node.id, "online"))["thumbprint"]
    await asyncio.to_thread(agent.stop)
    shutil.rmtree(agent.data_dir / "tls")
    await asyncio.to_thread(agent.start)
    assert agent.thumbprint != first
    row = await wait_status(node.id, "untrusted", within=10)
    assert row["thumbprint"] == first and row["pending_thumbprint"] == agent.thumbprint
    assert "certificate" in row["last_error"]
    await asyncio.sleep(1.5)  # no retries while untrusted: still untrusted, not connected
    assert (await node_row(node.id))["status"] == "untrusted"
    assert node.id not in hub.connections or not hub.connections[node.id].online
    view = await nodes.approve_thumbprint(admin, node.id)
    assert view.thumbprint == agent.thumbprint and view.pending_thumbprint == ""
    row = await wait_status(node.id, "online", within=10)
    assert row["thumbprint"] == agent.thumbprint


async def test_rotating_the_token_keeps_the_agent_working_and_refuses_the_old_one(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    old_token = agent.token
    rotated = await nodes.rotate_token(admin, node.id)
    assert rotated.token_pushed and rotated.token != old_token
    assert rotated.token in rotated.run_command and rotated.token in rotated.docker_command
    assert (await hub.metrics(node.id)).metrics.capacity.cpus >= 1  # same session still works
    with pytest.raises(HandshakeRefused):
        await AgentClient.connect(agent.url, old_token, thumbprint=agent.thumbprint)
    client = await AgentClient.connect(agent.url, rotated.token, thumbprint=agent.thumbprint)
    await client.close()  # (this replaced the hub's session: the hub reconnects by itself)
    await wait_status(node.id, "online", within=10)
    # A restart with the old AGENT_TOKEN still in its environment keeps the rotated key.
    await asyncio.to_thread(agent.stop)
    await asyncio.to_thread(agent.start)
    await wait_status(node.id, "offline", within=5)
    await wait_status(node.id, "online", within=10)
    assert (await hub.metrics(node.id)).metrics.capacity.cpus >= 1


async def test_a_wrong_token_shows_auth_failed(hub, hub_env, agent_factory):
    admin, env_id = hub_env
    agent = agent_factory(start=False)
    node = await nodes.add_node(
        admin, env_id, nodes.NodeInput(host="127.0.0.1", port=agent.port, name="wrong")
    )
    await asyncio.to_thread(agent.start)  # with its own random token, not the node's
    row = await wait_status(node.id, "auth_failed", within=10)
    assert row["last_error"].startswith("auth failed")
    assert row["thumbprint"] == ""  # nothing is pinned from a failed handshake


async def test_a_closed_port_shows_the_error_and_retries_until_the_agent_comes(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    agent = agent_factory(start=False)
    node = await nodes.add_node(admin, env_id, nodes.NodeInput(host="127.0.0.1", port=agent.port))

    async def refused():
        row = await node_row(node.id)
        return row if "cannot connect" in row["last_error"] else None

    row = await until(refused, 5)
    assert row["status"] == "offline" and "refused" in row["last_error"].lower()
    agent.token = node.token
    await asyncio.to_thread(agent.start)
    await wait_status(node.id, "online", within=5)  # backoff capped at 1 s in tests


async def test_disable_lets_go_and_enable_connects_again(hub, hub_env, agent_factory):
    admin, env_id = hub_env
    node, _agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    view = await nodes.set_switches(admin, node.id, nodes.NodeSwitches(enabled=False))
    assert view.status == "offline" and not view.enabled and "disabled" in view.last_error
    assert node.id not in hub.connections
    await asyncio.sleep(1)
    assert (await node_row(node.id))["status"] == "offline"
    await nodes.set_switches(admin, node.id, nodes.NodeSwitches(enabled=True))
    await wait_status(node.id, "online", within=10)


async def test_revoke_disconnects_at_once_and_the_agent_forgets_the_token(
    hub, hub_env, agent_factory
):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    view = await nodes.revoke(admin, node.id)
    assert view.status == "revoked" and node.id not in hub.connections
    with pytest.raises(HandshakeRefused):  # the agent was told to forget the token too
        await AgentClient.connect(agent.url, node.token, thumbprint=agent.thumbprint)
    await asyncio.sleep(1)
    assert (await node_row(node.id))["status"] == "revoked"
