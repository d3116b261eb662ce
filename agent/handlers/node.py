"""metrics, plugin list update and token rotation: requests about the node itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import ErrorReply, GetMetrics, MetricsReply, Ok, RotateToken, UpdatePlugins

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


async def get_metrics(ctx: HandlerContext, session: Session, request: GetMetrics) -> MetricsReply:
    return MetricsReply(id=request.id, metrics=await ctx.metrics.collect())


async def update_plugins(ctx: HandlerContext, session: Session, request: UpdatePlugins) -> Ok:
    ctx.plugin_images.update(request.plugins)  # pulled in the background, then reported
    return Ok(id=request.id)


async def rotate_token(
    ctx: HandlerContext, session: Session, request: RotateToken
) -> Ok | ErrorReply:
    try:
        ctx.keys.rotate(request.new_key)
    except ValueError as error:
        return ErrorReply(id=request.id, code="invalid", message=str(error))
    return Ok(id=request.id)
