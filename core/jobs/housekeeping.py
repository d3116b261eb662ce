"""Periodic clean-up of short-lived rows: expired browser sessions."""

from __future__ import annotations

from core.services import sessions


async def purge_sessions(ctx: dict) -> dict:
    return {"purged": await sessions.purge_expired()}
