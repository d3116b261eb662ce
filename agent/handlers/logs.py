"""logs (tail N, follow) and logs_stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import ErrorReply, Logs, LogsStop, Ok
from agent.runtime import DockerUnavailable

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


async def start(ctx: HandlerContext, session: Session, request: Logs) -> Ok | ErrorReply | None:
    try:
        return await ctx.logs.start(session, request)
    except DockerUnavailable as error:
        return ErrorReply(id=request.id, code="internal", message=f"docker unavailable: {error}")


async def stop(ctx: HandlerContext, session: Session, request: LogsStop) -> Ok | ErrorReply:
    if await ctx.logs.stop(session, request.stream_id):
        return Ok(id=request.id)
    return ErrorReply(id=request.id, code="not_found", message=f"no log stream {request.stream_id}")
