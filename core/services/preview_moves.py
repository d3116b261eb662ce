"""What a lifecycle move tells previews: called by core.services.lifecycle for every move that
notifies (running, failed, deleted), in the process that made it, so a preview's report is
enqueued exactly once per move (the `deployment-notifications` topic reaches every process,
and none when it is missed). Imports nothing that imports the lifecycle."""

from __future__ import annotations

import logging

from core import runtime
from core.tables.previews import Preview

log = logging.getLogger("shoal.previews")


async def on_move(deployment_id: int) -> None:
    """Report the move on the pull request if a preview owns this deployment."""
    row = await Preview.select(Preview.id).where(Preview.deployment == deployment_id).first().run()
    if row is None:
        return
    try:
        await runtime.queue().enqueue("report_preview", preview_id=row["id"], timeout=0, retries=5)
    except Exception:  # a report is never worth failing the move that asked for it
        log.exception("preview %s: the report could not be queued", row["id"])
