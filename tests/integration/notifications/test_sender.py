"""The drain: a burst reaches its channel once per event through a real worker, claims made
side by side never share a delivery, and a channel that hangs holds only its own share of the
sends for one attempt's timeout while the other channels' messages go out at once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from core.notifications import channels, deliveries, delivery, fanout, outbox, sender, views
from core.notifications import facts as facts_module
from core.notifications.channels import ChannelInput
from core.services import lifecycle
from core.tables import NotificationDelivery, NotificationEvent
from shoaltest.hub import until
from shoaltest.receivers import http_receiver


async def _statuses(channel_id: int) -> Counter[str]:
    rows = await (
        NotificationDelivery.select(NotificationDelivery.status)
        .where(NotificationDelivery.channel == channel_id)
        .run()
    )
    return Counter(row["status"] for row in rows)


async def test_a_burst_arrives_once_per_event_through_the_worker(scene, start_worker):
    count = 60
    with http_receiver() as receiver:
        await channels.create_channel(
            scene.admin,
            ChannelInput(name="ci", kind="webhook", url=receiver.url, events=["ready"]),
        )
        start_worker()
        for index in range(count):
            key = f"ready:{scene.deployment_id}:burst{index}"
            await outbox.record("ready", key, deployment_id=scene.deployment_id)
        await receiver.wait_for(count, timeout_s=60)

        async def all_delivered() -> bool:
            rows = await NotificationDelivery.select(NotificationDelivery.status).run()
            return [row["status"] for row in rows] == ["delivered"] * count

        await until(all_delivered, within=20)
        await asyncio.sleep(1)  # a second send of any of them would have arrived by now
        ids = Counter(r.headers["X-Shoal-Event-Id"] for r in receiver.requests)
    assert len(ids) == count and set(ids.values()) == {1}


async def test_claims_side_by_side_never_share_a_delivery(scene):
    with http_receiver() as receiver:
        channel = await channels.create_channel(
            scene.admin,
            ChannelInput(name="ci", kind="webhook", url=receiver.url, events=["ready"]),
        )
        for index in range(40):
            key = f"ready:{scene.deployment_id}:claim{index}"
            await outbox.record("ready", key, deployment_id=scene.deployment_id)
        await fanout.dispatch()
        claimed: list[int] = []
        while True:  # six claimers at once: one that loses a row to another just gets fewer
            claims = await asyncio.gather(*(delivery.claim_due(5, {}, 100) for _ in range(6)))
            if not any(claims):
                break
            claimed += [row["id"] for rows in claims for row in rows]
    assert len(claimed) == 40 and len(set(claimed)) == 40
    assert await _statuses(channel.id) == {"sending": 40}
    attempts = await NotificationDelivery.select(NotificationDelivery.attempts).run()
    assert {row["attempts"] for row in attempts} == {1}


async def test_a_hanging_channel_holds_only_its_share_for_one_timeout(scene, monkeypatch):
    timeout_s = 2.0  # the per-attempt timeout (10 s), shortened for the test
    monkeypatch.setattr("core.notifications.send.post.__defaults__", (timeout_s,))
    hanging_count, quick_count = sender.PER_CHANNEL + 4, 5
    with (
        http_receiver(script=["hang"] * hanging_count) as hanging,
        http_receiver() as quick,
    ):
        slow = await channels.create_channel(
            scene.admin, ChannelInput(name="slow", kind="webhook", url=hanging.url)
        )
        fast = await channels.create_channel(
            scene.admin, ChannelInput(name="fast", kind="slack", url=quick.url)
        )
        for _ in range(hanging_count):  # the older ones: claimed first
            await deliveries.send_test(scene.admin, slow.id, "http://shoal.test:8000")
        for _ in range(quick_count):
            await deliveries.send_test(scene.admin, fast.id, "http://shoal.test:8000")
        started = time.monotonic()
        # Claims stop after 1.5 timeouts: the first wave's retries (due 5 s on) stay unsent.
        attempted = await sender.drain(budget_s=timeout_s * 1.5)
        took = time.monotonic() - started
        first_wave = [r for r in hanging.requests if r.at - started < timeout_s]
        quick_at = [r.at - started for r in quick.requests]
    assert attempted == hanging_count + quick_count
    assert len(quick_at) == quick_count and max(quick_at) < timeout_s  # not behind the hang
    assert len(first_wave) == sender.PER_CHANNEL  # the rest waited for a free share
    assert len(hanging.requests) == hanging_count
    assert timeout_s * 2 <= took < timeout_s * 2 + 8  # two waves of one timeout each
    assert await _statuses(fast.id) == {"delivered": quick_count}
    assert await _statuses(slow.id) == {"retrying": hanging_count}


async def test_a_batch_read_together_says_what_each_event_read_alone_says(scene):
    assert await lifecycle.move(scene.deployment_id, "running")
    [event] = await NotificationEvent.select().output(load_json=True).run()
    alone = await facts_module.gather(dict(event))
    together = await facts_module.gather(
        dict(event), (await views.load([scene.deployment_id]))[scene.deployment_id]
    )
    assert together == alone
    assert alone[0].urls and alone[1]["user"] == scene.admin.id
