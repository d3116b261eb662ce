"""logs (tail N, follow) and logs_stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import ErrorReply, Logs, LogsStop, Ok
from agent.runtime import DockerUnavailable

if TYPE_CHECKING:
    from agent.app import App
    from agent.events import Session


async def start(app: App, session: Session, request: Logs) -> Ok | ErrorReply | None:
    try:
        return await app.logs.start(session, request)
    except DockerUnavailable as error:
        return ErrorReply(id=request.id, code="internal", message=f"docker unavailable: {error}")


async def stop(app: App, session: Session, request: LogsStop) -> Ok | ErrorReply:
    if await app.logs.stop(session, request.stream_id):
        return Ok(id=request.id)
    return ErrorReply(id=request.id, code="not_found", message=f"no log stream {request.stream_id}")
