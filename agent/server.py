"""The TLS WebSocket server: handshake, one current session, and the request loop.

Every frame gets an answer: a malformed, unknown or oversized one gets an `error` reply and the
loop goes on; a handler that raises gets an `internal` error reply. Each request runs in its own
task so a slow one (a deploy, a log follow) never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from agent import __version__, handlers
from agent.config import AgentConfig
from agent.events import EventBus, Session
from agent.handlers.context import HandlerContext
from agent.handshake import Throttle, authenticate
from agent.protocol import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    TRANSPORT_LIMIT_BYTES,
    ErrorReply,
    Request,
    Welcome,
    decode,
)

log = logging.getLogger(__name__)

REPLACED_CODE = 4000
HANDSHAKE_LIMIT_BYTES = 64 * 1024


class _IdOnly(msgspec.Struct):
    id: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """What the server answers with: its identity, the event bus and the handlers' context."""

    config: AgentConfig
    ssl_context: ssl.SSLContext
    thumbprint: str
    throttle: Throttle
    events: EventBus
    handlers: HandlerContext


async def start_server(endpoint: Endpoint) -> Server:
    return await serve(
        lambda ws: handle_connection(endpoint, ws),
        endpoint.config.listen_host,
        endpoint.config.listen_port,
        ssl=endpoint.ssl_context,
        max_size=TRANSPORT_LIMIT_BYTES,
        compression=None,  # no inflation bombs, less memory per connection
        max_queue=4,
        server_header=None,
    )


async def handle_connection(endpoint: Endpoint, ws: ServerConnection) -> None:
    # Until the peer proved the token, a frame bigger than an Auth message ends the connection:
    # nobody unauthenticated gets to make us buffer the full transport limit.
    ws.protocol.max_message_size = HANDSHAKE_LIMIT_BYTES
    ctx, events = endpoint.handlers, endpoint.events
    try:
        proof = await authenticate(
            ws,
            key=ctx.keys.key,
            thumbprint=endpoint.thumbprint,
            agent_id=endpoint.config.agent_id,
            throttle=endpoint.throttle,
        )
        if proof is None:
            return
        ws.protocol.max_message_size = TRANSPORT_LIMIT_BYTES
        session = Session(ws)
        session.send(
            welcome(endpoint, proof)
        )  # first, before the events buffered while disconnected
        previous = events.attach(session)
        if previous is not None:
            log.info("a newer control-plane session replaces the previous one")
            await ctx.logs.stop_session(previous)
            await ctx.terminals.close_session(previous)
            await previous.close(REPLACED_CODE, "replaced by a newer session")
        log.info("control plane connected from %s", ws.remote_address)
        try:
            await serve_requests(ctx, session)
        finally:
            events.detach(session)
            await ctx.logs.stop_session(session)
            await ctx.terminals.close_session(session)
            session.writer.cancel()
    except ConnectionClosed:
        pass


def welcome(endpoint: Endpoint, proof: str) -> Welcome:
    return Welcome(
        proof=proof,
        agent_version=__version__,
        protocol_version=PROTOCOL_VERSION,
        agent_id=endpoint.config.agent_id,
        publish_address=endpoint.config.publish_address,
        capacity=endpoint.handlers.metrics.capacity(),
    )


async def serve_requests(ctx: HandlerContext, session: Session) -> None:
    tasks: set[asyncio.Task] = set()
    try:
        async for frame in session.ws:
            reply_now = check_frame(frame)
            if reply_now is not None:
                session.send(reply_now)
                continue
            try:
                request = decode(frame, Request)
            except msgspec.MsgspecError as error:
                session.send(decode_error(frame, error))
                continue
            task = asyncio.create_task(run_handler(ctx, session, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in tasks:
            task.cancel()


def check_frame(frame: str | bytes) -> ErrorReply | None:
    if len(frame) > MAX_MESSAGE_BYTES:
        return ErrorReply(
            id=_request_id(frame),
            code="too_large",
            message=f"message of {len(frame)} bytes exceeds the limit of {MAX_MESSAGE_BYTES}",
        )
    return None


def decode_error(frame: str | bytes, error: msgspec.MsgspecError) -> ErrorReply:
    request_id = _request_id(frame)
    if not isinstance(error, msgspec.ValidationError):  # (a ValidationError is a DecodeError)
        return ErrorReply(id=request_id, code="malformed", message=f"not valid JSON: {error}")
    if "`$.type`" in str(error):
        return ErrorReply(id=request_id, code="unknown_type", message=f"unknown message: {error}")
    return ErrorReply(id=request_id, code="invalid", message=f"invalid message: {error}")


async def run_handler(ctx: HandlerContext, session: Session, request: Request) -> None:
    try:
        reply = await handlers.handle(ctx, session, request)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # the agent never dies on a request
        log.exception("handler for %s failed", type(request).__name__)
        reply = ErrorReply(
            id=request.id, code="internal", message=f"{type(error).__name__}: {error}"
        )
    if reply is not None:  # None: the handler queued its reply itself
        session.send(reply)


def _request_id(frame: str | bytes) -> int | None:
    try:
        return msgspec.json.decode(frame, type=_IdOnly).id
    except msgspec.MsgspecError:
        return None
