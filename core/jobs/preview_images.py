"""SAQ task: deployments waiting for their image are released once the registry has every
tag, or failed past the wait limit (core.services.preview_images). Run every minute and at
once after a registry push. Task names are part of the queue's data: never rename them."""

from __future__ import annotations

from core.services import preview_images


async def check_waiting_images(ctx: dict) -> dict:
    return await preview_images.check_waiting()
