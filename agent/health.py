"""Wait until a service answers: TCP (a connection that stays open) or HTTP (status < 400).

Published ports are served by docker-proxy, which accepts a TCP connection even before the
service listens and then drops it; so a TCP check counts only a connection still open after
a short grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from agent.protocol import HealthCheck

PROBE_INTERVAL_S = 0.1
TCP_GRACE_S = 0.15
PROBE_TIMEOUT_S = 2.0


class Unhealthy(Exception):
    pass


async def wait_healthy(
    host: str,
    port: int,
    check: HealthCheck,
    still_running: Callable[[], Awaitable[str | None]],
) -> None:
    """Probe until healthy; `still_running` returns an error text once the container died."""
    deadline = time.monotonic() + check.timeout_s
    last_error = "no answer yet"
    next_state_check = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            probe = (
                _probe_http(host, port, check.path)
                if check.type == "http"
                else _probe_tcp(host, port)
            )
            await asyncio.wait_for(probe, PROBE_TIMEOUT_S)
            return
        except (OSError, TimeoutError, Unhealthy) as error:
            last_error = str(error) or type(error).__name__
        if time.monotonic() >= next_state_check:
            next_state_check = time.monotonic() + 1.0
            died = await still_running()
            if died:
                raise Unhealthy(died)
        await asyncio.sleep(PROBE_INTERVAL_S)
    raise Unhealthy(
        f"{check.type} check on port {port} failed for {check.timeout_s:g} s: {last_error}"
    )


async def _probe_tcp(host: str, port: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        with contextlib.suppress(TimeoutError):
            if await asyncio.wait_for(reader.read(1), TCP_GRACE_S) == b"":
                raise Unhealthy("connection closed at once (nothing listens in the container)")
    finally:
        writer.close()


async def _probe_http(host: str, port: int, path: str) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        request = (
            f"GET {path or '/'} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: shoal-agent\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            raise Unhealthy("no HTTP answer")
        if int(parts[1]) >= 400:
            raise Unhealthy(f"HTTP {int(parts[1])} from {path}")
    finally:
        writer.close()
