"""The schedules' minute tick (issue 20): office hours and nightly deployments."""

from __future__ import annotations

from datetime import UTC, datetime

from core.services import schedule_runs


async def run_schedules(ctx: dict) -> dict:
    return await schedule_runs.run_schedules(datetime.now(UTC))
