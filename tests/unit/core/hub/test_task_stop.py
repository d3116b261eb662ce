"""A background task that lost its cancellation (as Python 3.11's wait_for can make one do) is
still stopped, and one that never ends holds its stopper only for the bound."""

from __future__ import annotations

import asyncio
import time

from core.hub.task_stop import cancel_and_wait


async def test_a_loop_that_swallowed_one_cancellation_is_stopped_by_the_next():
    swallowed = 0

    async def loop() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed == 1:
                    continue  # the lost cancellation: the loop carries on
                raise

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.05)
    assert await cancel_and_wait(task, 5, "test loop")
    assert task.cancelled() and swallowed == 2


async def test_a_task_that_never_ends_is_left_behind_after_the_bound():
    give_up = asyncio.Event()

    async def stubborn() -> None:
        while not give_up.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.05)  # running: a task cancelled before its first step just ends
    started = time.monotonic()
    assert not await cancel_and_wait(task, 0.3, "stubborn")
    assert time.monotonic() - started < 2 and not task.done()
    give_up.set()  # so the test's loop can close
    await task


async def test_an_ended_task_with_an_error_is_retrieved_quietly():
    async def fails() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    assert await cancel_and_wait(task, 1, "failing")
