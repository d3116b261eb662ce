"""At most one piece of work (a deploy, delete, sleep, wake, or the preparation of the next
reset after a data action) per deployment at a time, under that deployment's lock. A newer
piece replaces an older one: a deploy in flight is cancelled (it rolls itself back) unless the
newer piece only prepares a reset, a delete in flight is waited for."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Literal


class Work:
    def __init__(self) -> None:
        self.tasks: dict[int, asyncio.Task] = {}
        self.locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def busy(self, deployment_id: int) -> bool:
        task = self.tasks.get(deployment_id)
        return task is not None and not task.done()

    def start(
        self,
        deployment_id: int,
        kind: Literal["deploy", "delete", "sleep", "wake", "prepare"],
        work: Callable[[], Awaitable[None]],
    ) -> None:
        """Run `work()` once the deployment's earlier work ended, holding its lock."""
        before = self.tasks.get(deployment_id)

        async def in_turn() -> None:
            await _after(before, cancel_deploy=kind != "prepare")
            async with self.locks[deployment_id]:
                await work()

        self.tasks[deployment_id] = asyncio.create_task(in_turn(), name=f"{kind}-{deployment_id}")


async def _after(before: asyncio.Task | None, *, cancel_deploy: bool) -> None:
    if before is None or before.done():
        return
    if cancel_deploy and before.get_name().startswith("deploy-"):
        before.cancel()
    await asyncio.wait([before])
