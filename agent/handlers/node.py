"""metrics, plugin list update and token rotation: requests about the node itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import ErrorReply, GetMetrics, MetricsReply, Ok, RotateToken, UpdatePlugins

if TYPE_CHECKING:
    from agent.app import App
    from agent.events import Session


async def get_metrics(app: App, session: Session, request: GetMetrics) -> MetricsReply:
    return MetricsReply(id=request.id, metrics=await app.metrics.collect())


async def update_plugins(app: App, session: Session, request: UpdatePlugins) -> Ok:
    app.plugin_images.update(request.plugins)  # pulled in the background, then reported
    return Ok(id=request.id)


async def rotate_token(app: App, session: Session, request: RotateToken) -> Ok | ErrorReply:
    try:
        app.keys.rotate(request.new_key)
    except ValueError as error:
        return ErrorReply(id=request.id, code="invalid", message=str(error))
    return Ok(id=request.id)
