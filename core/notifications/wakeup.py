"""Waking the sender. The jobs carry nothing: whatever the deliveries table says is due is what
a drain sends, so a lost or doubled wake-up costs time, never a message. A drain already
running in this process is poked (it claims again before it stops) instead of queueing a
job per delivery; a retry's wake-up is a job scheduled for its time, one per second."""

from __future__ import annotations

import asyncio
import datetime
import logging
import math
from uuid import uuid4

from core import runtime

log = logging.getLogger("shoal.notifications")

SEND_JOB = "send_notifications"
JOB_TIMEOUT_S = 90  # a drain's budget plus one attempt's timeout, with room

# The poke of the drain running in this process (sender.drain sets and clears it).
_running: asyncio.Event | None = None


def register() -> asyncio.Event | None:
    """Become this process's drain: its poke, or None when one is already running."""
    global _running
    if _running is not None:
        return None
    _running = asyncio.Event()
    return _running


def unregister(poke: asyncio.Event) -> None:
    """From here on a kick queues a job: the drain has made its last claim."""
    global _running
    if _running is poke:
        _running = None


async def kick() -> None:
    """Something is due now: poke this process's drain, or queue a job to run one."""
    if _running is not None:
        _running.set()
        return
    await _enqueue(f"{SEND_JOB}:{uuid4()}", 0)


async def at(when: datetime.datetime) -> None:
    """Wake a drain when a retry falls due. Rounded up to the second: SAQ schedules in whole
    seconds, and a job woken before the retry is due would find nothing to send."""
    second = math.ceil(when.timestamp())
    await _enqueue(f"{SEND_JOB}:at:{second}", second)


async def _enqueue(key: str, scheduled: int) -> None:
    try:
        queue = runtime.queue()
    except RuntimeError:
        return  # no queue in this process: the minutely catch-up starts a drain
    try:
        await queue.enqueue(SEND_JOB, key=key, scheduled=scheduled, timeout=JOB_TIMEOUT_S)
    except Exception:  # the catch-up starts one: a delivery is only later, never lost
        log.exception("could not enqueue the notification sender")
