"""The idle check's minute tick (issue 20): idle running deployments go to sleep."""

from __future__ import annotations

from datetime import UTC, datetime

from core import ingress, runtime
from core.services import idle


async def sleep_idle(ctx: dict) -> dict:
    return await idle.sleep_idle(datetime.now(UTC), ingress.admin_url(runtime.settings()))
