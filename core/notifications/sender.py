"""The sender: one drain per process claims the deliveries that are due and sends them side by
side over one HTTP connection pool, claiming more as sends finish. A SAQ job only wakes it
(wakeup.py); the rows are the work. Bounds: SLOTS sends at once, at most PER_CHANNEL of them
to one channel (an endpoint that hangs holds its share for one attempt's timeout, the other
channels go on), and a drain stops claiming after BUDGET_S so its job ends well inside its
timeout (the next job goes on)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

from core.notifications import delivery, send, wakeup

log = logging.getLogger("shoal.notifications")

SLOTS = 32
PER_CHANNEL = 8
BUDGET_S = 40.0
CHANNEL_TTL_S = 5.0


async def drain(budget_s: float = BUDGET_S) -> int:
    """Send whatever is due until nothing is (or the budget is spent); returns how many were
    attempted. With a drain already running in this process, poke it and return 0."""
    poke = wakeup.register()
    if poke is None:
        await wakeup.kick()
        return 0
    try:
        attempted, more = await _run(poke, time.monotonic() + budget_s)
    finally:
        wakeup.unregister(poke)
    if more:  # the budget ran out with deliveries due: a fresh job goes on with them
        await wakeup.kick()
    return attempted


async def _run(poke: asyncio.Event, deadline: float) -> tuple[int, bool]:
    sending: dict[asyncio.Task[delivery.Result], int] = {}  # each send and its channel
    attempted = 0
    channels = _Channels()
    async with send.new_client(SLOTS) as client:
        try:
            while True:
                poke.clear()
                claimed = []
                if len(sending) < SLOTS and time.monotonic() < deadline:
                    busy = Counter(sending.values())
                    claimed = await delivery.claim_due(SLOTS - len(sending), busy, PER_CHANNEL)
                if claimed:
                    await channels.load({row["channel"] for row in claimed})
                    for row in claimed:
                        task = asyncio.create_task(
                            delivery.attempt(row, channels.get(row["channel"]), client)
                        )
                        sending[task] = row["channel"]
                    attempted += len(claimed)
                if not sending:
                    if not poke.is_set() or time.monotonic() >= deadline:
                        # No await from the last claim to here: a kick after it queues a job.
                        wakeup.unregister(poke)
                        return attempted, time.monotonic() >= deadline
                    continue
                await delivery.record(await _some_done(sending, poke))
        finally:
            for task in sending:  # cancelled mid-send: the catch-up resends it after a while
                task.cancel()


class _Channels:
    """The channels being sent to, read again after CHANNEL_TTL_S: in a burst a claim often
    brings one more delivery for the same channel, and reading its row each time cost as
    much as the claim. An edit reaches the drain within the TTL."""

    def __init__(self) -> None:
        self.rows: dict[int, dict | None] = {}
        self.read_at = 0.0

    async def load(self, ids: set[int]) -> None:
        if time.monotonic() - self.read_at > CHANNEL_TTL_S:
            self.rows, self.read_at = {}, time.monotonic()
        missing = ids - self.rows.keys()
        if missing:
            found = await delivery.channels_of(missing)
            self.rows.update({channel_id: found.get(channel_id) for channel_id in missing})

    def get(self, channel_id: int) -> dict | None:
        return self.rows.get(channel_id)


async def _some_done(
    sending: dict[asyncio.Task[delivery.Result], int], poke: asyncio.Event
) -> list[delivery.Result]:
    """Wait until a send finishes or something new is due; returns the finished results."""
    poked = asyncio.create_task(poke.wait())
    try:
        await asyncio.wait([*sending, poked], return_when=asyncio.FIRST_COMPLETED)
    finally:
        poked.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poked
    results = []
    for task in [task for task in sending if task.done()]:
        del sending[task]
        if task.exception() is not None:  # left `sending`: the catch-up retries it
            log.error("a delivery could not be sent", exc_info=task.exception())
        else:
            results.append(task.result())
    return results
