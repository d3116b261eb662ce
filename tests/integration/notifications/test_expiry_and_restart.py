"""Exactly once: a short-lived deployment is warned about once before the sweeper deletes it
(the sweeper job itself, run repeatedly); deliveries pending when the worker stops are each
delivered once by the next worker."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections import Counter

from core.jobs import deployments as deployment_jobs
from core.notifications import channels, expiring
from core.notifications.channels import ChannelInput
from core.services import lifecycle
from core.tables import Deployment, NotificationDelivery
from shoaltest.hub import until
from shoaltest.receivers import http_receiver


async def test_a_short_lived_deployment_gets_one_warning_before_the_sweeper_deletes_it(
    scene, start_worker
):
    assert await lifecycle.move(scene.deployment_id, "running")
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=4)
    await (
        Deployment.update({Deployment.expires_at: expires})
        .where(Deployment.id == scene.deployment_id)
        .run()
    )
    with http_receiver() as receiver:
        await channels.create_channel(
            scene.admin,
            ChannelInput(
                name="ops", kind="slack", url=receiver.url, events=["expiring", "deleted"]
            ),
        )
        start_worker()
        swept = []
        while True:  # the minutely sweeper, run much faster
            swept.append(await deployment_jobs.sweep_expired({}))
            if swept[-1]["deleted"]:
                break
            await asyncio.sleep(0.5)
        assert swept[0]["warned"] == 1
        assert sum(run["warned"] for run in swept) == 1
        requests = await receiver.wait_for(2, timeout_s=30)
        kinds = [json.loads(r.body)["text"] for r in requests]
        assert len(requests) == 2, kinds
        assert "expires soon" in kinds[0]
        assert "was deleted" in kinds[1]
        warning = json.loads(requests[0].body)
        buttons = next(b for b in warning["blocks"] if b["type"] == "actions")["elements"]
        extend = [b["url"] for b in buttons if b["text"]["text"] == "Extend"]
        prefix = f"http://shoal.test:8000/deployments/{scene.deployment_id}/extend-link/"
        assert extend and extend[0].startswith(prefix)
        assert expiring.token_matches(extend[0].removeprefix(prefix), scene.deployment_id, expires)
        deleted = json.loads(requests[1].body)
        assert "auto-cleanup" in json.dumps(deleted)


async def test_deliveries_pending_across_a_worker_restart_arrive_once(scene, start_worker):
    with http_receiver(script=[500, 500, 500], then=200) as receiver:
        for index in range(3):
            await channels.create_channel(
                scene.admin,
                ChannelInput(
                    name=f"hook {index}",
                    kind="webhook",
                    url=f"{receiver.url}?channel={index}",
                    events=["ready"],
                ),
            )
        assert await lifecycle.move(scene.deployment_id, "running")  # queued, no worker yet
        first = start_worker()
        await receiver.wait_for(3, timeout_s=30)

        async def statuses() -> list[str]:
            rows = await NotificationDelivery.select(NotificationDelivery.status).run()
            return [row["status"] for row in rows]

        async def all_retrying() -> bool:
            return await statuses() == ["retrying"] * 3

        # The receiver has answered 500 before the worker records it: wait for the record.
        await until(all_retrying, within=10)
        await first.stop()
        assert await statuses() == ["retrying"] * 3
        start_worker()

        async def delivered() -> bool:
            rows = await NotificationDelivery.select(NotificationDelivery.status).run()
            return all(row["status"] == "delivered" for row in rows)

        await until(delivered, within=40)
        await asyncio.sleep(2)  # anything sent twice would have arrived by now
        paths = Counter(r.path for r in receiver.requests)
    assert sorted(paths.values()) == [2, 2, 2]  # one 500, then one delivery, per channel
