"""One hub per installation: the advisory lock picks the leader, followers forward to it, and
another process takes over when the leader dies.

Two kinds of "processes": Hub objects in this test process, each with its own lock connection
(fast, and lets the test look inside both), and a real second OS process killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

from agent import protocol as p
from core import crypto, runtime
from core.hub import Hub
from shoaltest.agent import REPO
from shoaltest.hub import (
    add_node_with_agent,
    fast_hub_config,
    node_row,
    started_hub,
    until,
    wait_status,
)

HUB_PROCESS = Path(__file__).with_name("hub_process.py")


async def test_only_the_leader_connects_and_a_follower_takes_over(db, hub_env, agent_factory):
    admin, env_id = hub_env
    config = fast_hub_config()
    first = await started_hub(db, config)
    second: Hub | None = None
    runtime.install(hub=first)
    try:
        await until(lambda: _true(first.is_leader), 5)
        second = await started_hub(db, config)
        node, agent = await add_node_with_agent(agent_factory, admin, env_id)
        await wait_status(node.id, "online")
        await asyncio.sleep(config.lock_poll_s * 3)
        assert first.is_leader and not second.is_leader
        assert node.id in first.connections and not second.connections
        # The follower reaches the agent through the leader (LISTEN/NOTIFY).
        metrics = await second.metrics(node.id)
        assert isinstance(metrics, p.MetricsReply) and metrics.metrics.capacity.cpus >= 1
        assert await second.rotate_token(node.id, p.token_key("next-token").hex()) is True
        await second.node_changed(node.id)  # forwarded; the leader keeps its live session

        started = time.monotonic()
        await first.stop()  # the leader goes away: its lock connection closes
        await until(lambda: _true(second.is_leader), 5)
        took_over = time.monotonic() - started
        await until(lambda: _true(node.id in second.connections), 5)
        # The new leader still holds the old key (from the database): rotate was not stored.
        # So it must present the token the agent now holds: store it as the service would.
        await wait_status(node.id, "auth_failed", within=10)
        await _store_key(node.id, "next-token")
        await second.refresh(node.id)
        await wait_status(node.id, "online", within=10)
        print(f"takeover after leader stop: {took_over:.2f} s")
        assert took_over < config.lock_poll_s * 4 + 1
        assert agent.process.poll() is None
    finally:
        await first.stop()
        if second is not None:
            await second.stop()


async def test_a_killed_leader_process_is_replaced_within_seconds(db, hub_env, agent_factory):
    """A real second process holds the lock; SIGKILL it and this process's hub takes over."""
    admin, env_id = hub_env
    config = fast_hub_config()
    key = crypto.generate_key()
    runtime.install(box=crypto.SecretBox(key))
    env = {"SHOAL_SECRET_KEY": crypto.encode_key(key), "PYTHONPATH": str(REPO)}
    leader = subprocess.Popen(  # noqa: ASYNC220  (starts at once; waited on in a thread)
        [sys.executable, str(HUB_PROCESS), db, str(config.lock_key)],
        cwd=REPO,
        env={**_environ(), **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    local = None
    try:
        line = await asyncio.wait_for(asyncio.to_thread(leader.stdout.readline), 20)
        assert line.strip() == "leader"
        local = await started_hub(db, dataclasses.replace(config))
        node, _agent = await add_node_with_agent(agent_factory, admin, env_id)
        await local.node_changed(node.id)  # a follower forwards the change to the leader
        await wait_status(node.id, "online")
        await asyncio.sleep(config.lock_poll_s * 3)
        assert not local.is_leader and not local.connections
        leader.kill()
        leader.wait()
        started = time.monotonic()
        await until(lambda: _true(local.is_leader), 10)
        await until(
            lambda: _true(node.id in local.connections and local.connections[node.id].online), 10
        )
        took = time.monotonic() - started
        print(f"killed leader → node online through the new leader in {took:.2f} s")
        assert took < 8
        assert (await node_row(node.id))["status"] == "online"
        assert (await local.metrics(node.id)).metrics.capacity.cpus >= 1
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()
        if local is not None:
            await local.stop()


async def _true(value: bool) -> bool:
    return value


async def _store_key(node_id: int, token: str) -> None:
    from core.tables import Node

    sealed = runtime.box().encrypt(p.token_key(token).hex(), crypto.node_token_context(node_id))
    await Node.update({Node.token_secret_ciphertext: sealed}).where(Node.id == node_id).run()


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


async def test_a_process_that_never_started_its_hub_joins_as_follower_on_first_use(
    hub, hub_env, agent_factory
):
    """What a `shoal worker` process does: its hub starts (as a follower) at the first call."""
    admin, env_id = hub_env
    node, _agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    lazy = Hub(dataclasses.replace(hub.config))
    try:
        metrics = await lazy.metrics(node.id)
        assert metrics.metrics.capacity.cpus >= 1
        assert lazy.config.role == "follower" and not lazy.is_leader and hub.is_leader
    finally:
        await lazy.stop()
