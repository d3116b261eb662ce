"""Dataset requests (protocol.datasets): a chunk of a file for the node's cache."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.protocol import DatasetHave, DatasetPut, ErrorReply

if TYPE_CHECKING:
    from agent.events import Session
    from agent.handlers.context import HandlerContext


async def put(
    ctx: HandlerContext, session: Session, request: DatasetPut
) -> DatasetHave | ErrorReply:
    return await ctx.datasets.put(request)
