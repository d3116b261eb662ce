"""The FIFO gate in front of the connection pool: order, no barging, cancellation."""

import asyncio

import pytest

from core.fair_pool import FairPool, FifoGate


async def test_a_released_permit_goes_to_the_oldest_waiter_not_to_a_newcomer():
    gate = FifoGate(1)
    await gate.enter()
    order: list[str] = []

    async def take(name: str) -> None:
        await gate.enter()
        order.append(name)
        gate.leave()

    first = asyncio.create_task(take("first"))
    second = asyncio.create_task(take("second"))
    await asyncio.sleep(0)  # both are queued now
    gate.leave()
    # A newcomer asking right after the release, before the woken waiter has run: with
    # asyncio.Queue it would win. Here it queues behind the two already waiting.
    newcomer = asyncio.create_task(take("newcomer"))
    await asyncio.gather(first, second, newcomer)
    assert order == ["first", "second", "newcomer"]


async def test_a_cancelled_waiter_leaves_the_line_and_loses_no_permit():
    gate = FifoGate(1)
    await gate.enter()
    cancelled = asyncio.create_task(gate.enter())
    waiting = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    gate.leave()
    await asyncio.wait_for(waiting, 1)
    assert gate.waiting == 0
    gate.leave()
    await asyncio.wait_for(gate.enter(), 1)  # the permit came back


async def test_a_permit_handed_over_during_cancellation_is_passed_on():
    gate = FifoGate(1)
    await gate.enter()
    unlucky = asyncio.create_task(gate.enter())
    next_in_line = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # hands the permit to `unlucky`...
    unlucky.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await asyncio.wait_for(next_in_line, 1)


class CountingPool:
    """Stands in for asyncpg's pool: counts connections out, refuses past its size."""

    def __init__(self, size: int) -> None:
        self.size, self.out, self.peak = size, 0, 0
        self.closed = False

    async def acquire(self, **_options):
        assert self.out < self.size, "the gate let more tasks through than the pool holds"
        self.out += 1
        self.peak = max(self.peak, self.out)
        await asyncio.sleep(0)
        return object()

    async def release(self, connection, **_options):
        self.out -= 1

    async def close(self):
        self.closed = True


async def test_fair_pool_bounds_holders_and_serves_both_acquire_styles():
    inner = CountingPool(3)
    pool = FairPool(inner, 3)

    async def query(i: int) -> None:
        if i % 2:
            async with pool.acquire() as connection:
                assert connection is not None
                await asyncio.sleep(0.001)
        else:
            connection = await pool.acquire()
            await asyncio.sleep(0.001)
            await pool.release(connection)

    await asyncio.gather(*(query(i) for i in range(40)))
    assert inner.peak == 3 and inner.out == 0
    await pool.close()  # anything else passes through to the real pool
    assert inner.closed


async def test_a_failed_acquire_gives_its_permit_back():
    class Down(CountingPool):
        async def acquire(self, **_options):
            raise OSError("database is down")

    pool = FairPool(Down(1), 1)
    for _ in range(3):
        with pytest.raises(OSError):
            await pool.acquire()
    assert pool._gate.waiting == 0
