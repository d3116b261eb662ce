"""A channel that chose `slept` and `woke` hears each sleep and each wake of a deployment, not
once per run as `ready` (issue 20); one that did not choose them hears nothing of them."""

from __future__ import annotations

import asyncio
import json

from core.notifications import channels
from core.notifications.channels import ChannelInput
from core.services import lifecycle
from shoaltest.receivers import http_receiver


async def test_each_sleep_and_wake_is_one_event(scene, start_worker):
    with http_receiver() as naps, http_receiver() as others:
        await channels.create_channel(
            scene.admin,
            ChannelInput(name="naps", kind="webhook", url=naps.url, events=["slept", "woke"]),
        )
        await channels.create_channel(
            scene.admin,
            ChannelInput(name="others", kind="webhook", url=others.url, events=["failed"]),
        )
        start_worker()
        assert await lifecycle.move(scene.deployment_id, "running")
        for _ in range(2):  # two naps in one run: each is heard
            assert await lifecycle.move(scene.deployment_id, "sleeping")
            assert await lifecycle.move(scene.deployment_id, "waking")
            assert await lifecycle.move(scene.deployment_id, "running")
        heard = await naps.wait_for(4, timeout_s=40)
        kinds = [json.loads(r.body)["kind"] for r in heard]
        assert kinds.count("slept") == 2 and kinds.count("woke") == 2, kinds
        first = json.loads(heard[0].body)
        assert first["deployment"]["name"] == "pr-7"
        await asyncio.sleep(1)
        assert len(naps.requests) == 4 and others.requests == []
