"""Events go through PostgreSQL NOTIFY and reach only the subscribers of their topic."""

import asyncio

from core import events


async def test_published_events_reach_subscribers_of_that_topic_only(database):
    await events.start(database)
    try:
        async with events.subscribe("deployment:1") as mine, events.subscribe("node:9") as other:
            await events.publish("deployment:1", kind="status", status="running")
            got = await asyncio.wait_for(mine.get(), timeout=5)
            assert got == {"topic": "deployment:1", "kind": "status", "status": "running"}
            await asyncio.sleep(0.1)
            assert other.empty()
    finally:
        await events.stop()


async def test_oversized_payloads_are_cut_not_lost(database):
    await events.start(database)
    try:
        async with events.subscribe("deployment:2") as queue:
            await events.publish("deployment:2", kind="log", line="x" * 20000)
            got = await asyncio.wait_for(queue.get(), timeout=5)
            assert got["cut"] is True and got["kind"] == "log"
    finally:
        await events.stop()
