"""A generic webhook channel hears a deployment become ready: the body is the documented event,
signed (checked here with an independent HMAC implementation), retried after a 500, delivered
once; a 4xx, a redirect loop and a hanging endpoint end as the issue says."""

from __future__ import annotations

import asyncio
import json
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC

from core.notifications import channels, delivery, fanout
from core.notifications.channels import ChannelInput
from core.services import lifecycle
from core.tables import NotificationDelivery
from shoaltest.hub import until
from shoaltest.receivers import http_receiver

from .conftest import SECRET_VALUE


def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """What a receiver does, written without Shoal's code: Stripe's scheme."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    mac = HMAC(secret.encode(), hashes.SHA256())
    mac.update(parts["t"].encode() + b"." + body)
    fresh = abs(time.time() - int(parts["t"])) <= tolerance_s
    return fresh and mac.finalize().hex() == parts["v1"]


async def statuses() -> list[tuple[str, int, str]]:
    rows = await NotificationDelivery.select().order_by(NotificationDelivery.id).run()
    return [(r["status"], r["attempts"], r["last_error"]) for r in rows]


async def test_ready_is_signed_retried_after_a_500_and_delivered_once(scene, start_worker):
    with http_receiver(script=[500], then=200) as receiver:
        channel = await channels.create_channel(
            scene.admin,
            ChannelInput(name="ci", kind="webhook", url=receiver.url, events=["ready"]),
        )
        assert channel.signing_secret  # generated, shown once
        start_worker()
        assert await lifecycle.move(scene.deployment_id, "running")
        assert await lifecycle.move(scene.deployment_id, "running")  # a re-report: same run
        requests = await receiver.wait_for(2, timeout_s=40)
        assert len(requests) == 2, [r.headers for r in requests]
        done = await until(_delivered, within=20)
        assert done == [("delivered", 2, "")]
        first, second = requests
        assert second.at - first.at >= 4  # the first backoff step is 5 s
        assert first.body == second.body
        assert verify(channel.signing_secret, second.headers["X-Shoal-Signature"], second.body)
        assert not verify("another-secret", second.headers["X-Shoal-Signature"], second.body)
        event = json.loads(second.body)
        assert event["kind"] == "ready" and event["schema_version"] == 1
        assert event["deployment"]["name"] == "pr-7"
        assert event["deployment"]["project"] == "shop"
        assert event["deployment"]["environment"] == "qa"
        assert event["link"] == f"http://shoal.test:8000/deployments/{scene.deployment_id}"
        assert set(event["urls"]) == {"web"}
        assert second.headers["X-Shoal-Event-Id"] == event["event_id"]
        assert SECRET_VALUE not in second.body.decode()
        await asyncio.sleep(1)
        assert len(receiver.requests) == 2  # nothing more: once per run


async def _delivered() -> list | None:
    found = await statuses()
    return found if found and found[0][0] == "delivered" else None


async def _one_delivery(scene, url: str) -> int:
    await channels.create_channel(
        scene.admin, ChannelInput(name="hook", kind="webhook", url=url, events=["failed"])
    )
    assert await lifecycle.move(scene.deployment_id, "failed", error="boom")
    await fanout.dispatch()
    rows = await NotificationDelivery.select(NotificationDelivery.id).run()
    assert len(rows) == 1
    return rows[0]["id"]


async def test_a_4xx_ends_the_attempts_with_the_reason(scene):
    with http_receiver(then=410) as receiver:
        delivery_id = await _one_delivery(scene, receiver.url)
        assert await delivery.deliver(delivery_id) == "failed"
        assert await delivery.deliver(delivery_id) == "skipped"
        assert len(receiver.requests) == 1
    [(status, attempts, error)] = await statuses()
    assert (status, attempts) == ("failed", 1)
    assert "HTTP 410" in error and "receiver says no" in error


async def test_a_redirect_is_not_followed(scene):
    with http_receiver(then="redirect") as receiver:  # type: ignore[arg-type]
        delivery_id = await _one_delivery(scene, receiver.url)
        assert await delivery.deliver(delivery_id) == "failed"
        assert len(receiver.requests) == 1
    [(status, _, error)] = await statuses()
    assert status == "failed" and "redirects are not followed" in error


async def test_a_hanging_endpoint_times_out_and_is_retried(scene, monkeypatch):
    # The per-attempt timeout (10 s), shortened for the test.
    monkeypatch.setattr("core.notifications.send.post.__defaults__", (1.0,))
    with http_receiver(script=["hang"]) as receiver:
        delivery_id = await _one_delivery(scene, receiver.url)
        started = time.monotonic()
        assert await delivery.deliver(delivery_id) == "retrying"
        assert time.monotonic() - started < 10
    [(status, attempts, error)] = await statuses()
    assert (status, attempts) == ("retrying", 1) and "no answer within 1 s" in error


async def test_a_refused_connection_is_retried(scene):
    with http_receiver() as receiver:
        url = receiver.url
    delivery_id = await _one_delivery(scene, url)  # nothing listens there any more
    assert await delivery.deliver(delivery_id) == "retrying"
    [(status, _, error)] = await statuses()
    assert status == "retrying" and "could not connect" in error


async def test_a_deleted_channel_with_pending_deliveries_sends_nothing(scene):
    with http_receiver() as receiver:
        delivery_id = await _one_delivery(scene, receiver.url)
        [channel] = await channels.list_channels()
        await channels.delete_channel(scene.admin, channel.id)
        assert await delivery.deliver(delivery_id) == "skipped"
        assert receiver.requests == []
