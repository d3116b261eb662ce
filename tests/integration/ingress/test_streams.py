"""A long-lived streamed response through the ingress survives a route change (a Caddy reload)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

EVENTS = 15
INTERVAL = 0.08


async def _stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A minimal streaming upstream: one chunk every INTERVAL seconds, then the end. The
    request path names the content type: /sse → server-sent events, else a plain log stream."""
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        kind = b"text/event-stream" if b" /sse " in request else b"text/plain; charset=utf-8"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\n"
            b"Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n\r\n"
        )
        for index in range(EVENTS):
            data = f"data: {index}\n\n".encode()
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await writer.drain()
            await asyncio.sleep(INTERVAL)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    finally:
        writer.close()


@pytest.fixture
async def event_upstream() -> AsyncIterator[int]:
    server = await asyncio.start_server(_stream, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@pytest.mark.docker
@pytest.mark.parametrize("path", ["/sse", "/logs"])
async def test_open_stream_survives_a_route_change(
    path, db, caddy, kit, httpd, event_upstream, make_syncer
):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    await kit.add_deployment(env, node, "logs", {"events": event_upstream})
    syncer = make_syncer(owns_caddy=True)
    await syncer.sync_now()
    loads_before = syncer.status.loads
    received: list[str] = []
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "GET", caddy.ingress_url + path, headers={"Host": "events.logs.qa.shoal.test"}
        ) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if not line:
                continue
            received.append(line)
            if len(received) == 3:
                # Mid-stream: a new deployment appears, so Caddy loads a new config.
                await kit.add_deployment(env, node, "fresh", {"web": httpd})
                await syncer.sync_now()
                assert syncer.status.loads == loads_before + 1
                assert (await kit.get("web.fresh.qa.shoal.test")).status_code == 200
    assert received == [f"data: {index}" for index in range(EVENTS)]
