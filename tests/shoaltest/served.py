"""The session's real app behind a real HTTP server (uvicorn on a loopback port).

httpx's in-process transport buffers whole responses and runs the app inside the caller's
request, so neither a server-sent event stream nor the event loop's responsiveness under load
can be seen through it. `served(app)` runs uvicorn in this event loop (the app's lifespan
already runs in the `web_app` fixture) and yields the base URL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from litestar import Litestar

from shoaltest.ports import free_port


@contextlib.asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
        proxy_headers=False,  # as `shoal serve` runs it: the app decides whom to believe
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
