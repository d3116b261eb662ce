"""Agents that speak another protocol version, send garbage or drop the connection mid-frame:
the hub says what happened, keeps every other node going and keeps retrying."""

from __future__ import annotations

import asyncio
import contextlib

from agent.protocol import PROTOCOL_VERSION, token_key
from core.services import nodes
from shoaltest.hub import node_row, until, wait_status

from .fake_agent import FakeAgent


@contextlib.asynccontextmanager
async def fake_node(hub_env, name: str, mode: str = "normal", **fake_options):
    """A FakeAgent misbehaving as `mode`, added as node `name` with the token it was given."""
    admin, env_id = hub_env
    publish_address = fake_options.pop("publish_address", "127.0.0.1")
    fake = FakeAgent("placeholder", **fake_options)
    fake.mode = mode
    fake.publish_address = publish_address
    await fake.start()
    try:
        node = await nodes.add_node(
            admin, env_id, nodes.NodeInput(host="127.0.0.1", port=fake.port, name=name)
        )
        fake.key = token_key(node.token)
        yield fake, node
    finally:
        await fake.stop()


async def test_another_protocol_version_is_incompatible_until_the_agent_changes(hub, hub_env):
    async with fake_node(hub_env, "old", protocol_version=99) as (fake, node):
        row = await wait_status(node.id, "incompatible", within=10)
        assert "protocol version 99" in row["last_error"] and row["protocol_version"] == 99
        await asyncio.sleep(2.5)  # probes go on (Hello only), but no login is attempted
        assert fake.hellos >= 2 and fake.auths == 0
        fake.protocol_version = PROTOCOL_VERSION  # the agent was upgraded
        await wait_status(node.id, "online", within=10)
        assert fake.auths >= 1 and fake.welcomes >= 1


async def test_garbage_frames_are_skipped_and_the_session_goes_on(hub, hub_env):
    async with fake_node(hub_env, "noisy", "garbage_after_welcome") as (fake, node):
        await wait_status(node.id, "online", within=10)

        async def beating():
            return (await node_row(node.id))["last_heartbeat_at"]

        await until(beating, 5)

        async def garbage_read():  # the first heartbeat may overtake the garbage frames
            return hub.connections[node.id].session.garbage >= 3

        await until(garbage_read, 5)
        assert hub.connections[node.id].session.garbage == 3
        assert (await hub.metrics(node.id)).metrics.capacity.cpus == 2.0
        assert fake.welcomes == 1  # one session all along


async def test_a_connection_cut_mid_frame_marks_offline_and_retries(hub, hub_env):
    async with fake_node(hub_env, "flaky", "drop_mid_frame") as (fake, node):

        async def cut_twice():
            return fake.welcomes >= 2

        await until(cut_twice, 10)  # it came back and was cut again: retries go on
        assert hub.connections[node.id].last_problem == "the connection dropped"
        fake.mode = "normal"
        await until(lambda: _online_and_stable(node.id), 10)
        await asyncio.sleep(1.5)
        assert (await node_row(node.id))["status"] == "online"


async def _online_and_stable(node_id: int) -> bool:
    row = await node_row(node_id)
    return row["status"] == "online"


async def test_a_garbage_hello_is_reported_and_retried(hub, hub_env):
    async with fake_node(hub_env, "garbled", "garbage_hello") as (fake, node):

        async def reported():
            row = await node_row(node.id)
            return row if "no valid Hello" in row["last_error"] else None

        row = await until(reported, 10)
        assert row["status"] == "offline" and row["thumbprint"] == ""
        hellos = fake.hellos
        fake.mode = "normal"
        await wait_status(node.id, "online", within=10)
        assert fake.hellos > hellos


async def test_an_agent_that_cannot_prove_the_token_is_never_online_nor_sent_anything(hub, hub_env):
    async with fake_node(hub_env, "squatter", "impostor") as (fake, node):

        async def refused_twice():
            return fake.auths >= 2

        await until(refused_twice, 15)  # it is retried, and refused each time
        row = await node_row(node.id)
        assert row["status"] == "auth_failed" and "could not prove" in row["last_error"]
        assert row["thumbprint"] == "" and row["publish_address"] == ""  # nothing pinned
        assert row["capacity"] in ({}, "{}") or not row["capacity"]
        assert fake.requests == 0  # no Sync, so no deployment spec and no secret
        assert not hub.connections[node.id].online
        fake.mode = "normal"  # the real agent, which knows the token, is accepted
        await wait_status(node.id, "online", within=15)


async def test_a_changed_certificate_without_the_token_is_not_put_up_for_approval(hub, hub_env):
    async with fake_node(hub_env, "pinned") as (fake, node):
        pinned = (await wait_status(node.id, "online", within=10))["thumbprint"]
        await fake.stop()
        # Another process takes the agent's port, with its own certificate and no token.
        impostor = await FakeAgent("not the token").start(port=fake.port)
        impostor.mode = "impostor"
        try:

            async def refused():
                row = await node_row(node.id)
                return row if impostor.auths >= 1 and row["status"] == "auth_failed" else None

            row = await until(refused, 15)
            assert row["pending_thumbprint"] == "" and row["thumbprint"] == pinned
            assert impostor.requests == 0
        finally:
            await impostor.stop()


async def test_a_publish_address_that_is_not_the_node_is_refused(hub, hub_env):
    async with fake_node(hub_env, "elsewhere", publish_address="10.9.8.7") as (fake, node):

        async def refused():
            row = await node_row(node.id)
            return row if "publishes deployment ports on '10.9.8.7'" in row["last_error"] else None

        row = await until(refused, 15)
        assert row["status"] == "offline" and row["publish_address"] == ""
        assert fake.requests == 0
        fake.publish_address = "127.0.0.1"
        row = await wait_status(node.id, "online", within=40)
        assert row["publish_address"] == "127.0.0.1"
