"""exec: a one-shot command in a running service's container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import ErrorReply, Exec, ExecResult
from agent.runtime import APIError, DockerUnavailable

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


async def run(ctx: HandlerContext, session: Session, request: Exec) -> ExecResult | ErrorReply:
    try:
        return await ctx.execs.run(request)
    except DockerUnavailable as error:
        return ErrorReply(id=request.id, code="internal", message=f"docker unavailable: {error}")
    except APIError as error:  # e.g. the container stopped between the lookup and the exec
        return ErrorReply(id=request.id, code="invalid", message=f"docker refused: {error}")
