"""SAQ tasks of previews: make a preview's deployment match what was last asked, and report
its state back to the forge. Task names are part of the queue's data: never rename them."""

from __future__ import annotations

from core.services import preview_reports, previews


async def reconcile_preview(ctx: dict, *, preview_id: int) -> dict:
    return {"preview": preview_id, "outcome": await previews.reconcile(preview_id)}


async def report_preview(ctx: dict, *, preview_id: int) -> dict:
    """Raises when the forge did not take the report, so SAQ retries it (the job's retries);
    the deployment is never touched by a failed report."""
    return {"preview": preview_id, "reported": await preview_reports.report(preview_id)}
