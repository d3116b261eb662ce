"""Stopping a background task within a bound, even one that lost its cancellation.

On Python 3.11 `asyncio.wait_for` can swallow a cancellation that arrives just as the awaited
call finishes (fixed in 3.12). A loop such as the hub's election or a node's connection then
carries on as if nothing happened, and whoever awaited the task after cancelling it waits for
ever: a shutdown, a node's removal or a test's teardown hangs. So the task is cancelled again
each second until it ends or the bound passes.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("shoal.hub")

RECANCEL_S = 1.0


async def cancel_and_wait(task: asyncio.Task, within: float, what: str) -> bool:
    """Cancel `task` and wait for its end, at most `within` seconds; True when it ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not task.done():
        left = deadline - loop.time()
        if left <= 0:
            log.warning("hub: %s did not stop in %s s; left behind", what, within)
            return False
        task.cancel()
        await asyncio.wait({task}, timeout=min(RECANCEL_S, left))
    if not task.cancelled():
        task.exception()  # its end was expected; retrieve it so asyncio stays quiet
    return True
