"""Periodic clean-up of short-lived rows (expired browser sessions, retired plugins no deployment
runs any more, webhook deliveries past their retention) and the sealing of step outputs written
before outputs were protected."""

from __future__ import annotations

from core.services import plugins, sessions, step_outputs, url_access, webhook_retention


async def purge_sessions(ctx: dict) -> dict:
    # Ingress sessions and unused sign-in codes of deployment URLs expire the same way.
    return {
        "purged": await sessions.purge_expired(),
        "ingress_purged": await url_access.purge_expired(),
    }


async def purge_retired_plugins(ctx: dict) -> dict:
    return {"purged": await plugins.purge_retired()}


async def protect_step_outputs(ctx: dict) -> dict:
    return {"protected": await step_outputs.protect_legacy()}


async def purge_webhook_deliveries(ctx: dict) -> dict:
    return {"purged": await webhook_retention.purge_old()}
