"""terminal_open, _input, _resize, _ack and _close: an interactive TTY in a running service
(agent.terminals). Only `terminal_open` is answered; the others are answered only when they
fail (an unknown or finished terminal), so keystrokes cost one frame each way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import (
    ErrorReply,
    Ok,
    TerminalAck,
    TerminalClose,
    TerminalInput,
    TerminalOpen,
    TerminalResize,
)
from agent.runtime import APIError, DockerUnavailable

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


def _gone(request_id: int, key: str) -> ErrorReply:
    return ErrorReply(id=request_id, code="not_found", message=f"no open terminal {key}")


async def open_(ctx: HandlerContext, session: Session, request: TerminalOpen) -> Ok | ErrorReply:
    try:
        return await ctx.terminals.start(session, request)
    except DockerUnavailable as error:
        return ErrorReply(id=request.id, code="internal", message=f"docker unavailable: {error}")
    except APIError as error:
        return ErrorReply(id=request.id, code="invalid", message=f"docker refused: {error}")


async def input_(
    ctx: HandlerContext, session: Session, request: TerminalInput
) -> ErrorReply | None:
    terminal = ctx.terminals.get(session, request.terminal)
    if terminal is None:
        return _gone(request.id, request.terminal)
    try:
        await ctx.terminals.write(terminal, request.data)
    except OSError:
        return _gone(request.id, request.terminal)
    return None


async def resize(
    ctx: HandlerContext, session: Session, request: TerminalResize
) -> ErrorReply | None:
    terminal = ctx.terminals.get(session, request.terminal)
    if terminal is None:
        return _gone(request.id, request.terminal)
    try:
        await ctx.terminals.resize(terminal, request.cols, request.rows)
    except (APIError, DockerUnavailable) as error:
        return ErrorReply(id=request.id, code="invalid", message=f"resize refused: {error}")
    return None


async def ack(ctx: HandlerContext, session: Session, request: TerminalAck) -> ErrorReply | None:
    terminal = ctx.terminals.get(session, request.terminal)
    if terminal is not None:  # output of a terminal that just ended may still be acknowledged
        ctx.terminals.ack(terminal, request.size)
    return None


async def close(ctx: HandlerContext, session: Session, request: TerminalClose) -> None:
    terminal = ctx.terminals.get(session, request.terminal)
    if terminal is not None:
        await ctx.terminals.close(terminal)
    return None
