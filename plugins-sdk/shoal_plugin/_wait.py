"""Readiness waits with a deadline: a service is ready when it answers, not when it started.

Every attempt is bounded by what is left of the deadline, so a wait never overruns it by more
than one short attempt timeout; on timeout the error says what the last attempt saw.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
from collections.abc import Container

from ._errors import PluginError, WaitTimeout
from ._io import get_logger

_ATTEMPT_TIMEOUT_S = 5.0


def _attempt_timeout(deadline: float) -> float:
    return max(0.05, min(_ATTEMPT_TIMEOUT_S, deadline - time.monotonic()))


def wait_for_tcp(
    host: str, port: int, *, timeout_s: float = 60.0, interval_s: float = 0.5
) -> float:
    """Wait until ``host:port`` accepts a TCP connection; the seconds it took."""
    log = get_logger()
    started = time.monotonic()
    deadline = started + timeout_s
    last_problem = "no attempt made"
    while True:
        try:
            with socket.create_connection((host, port), timeout=_attempt_timeout(deadline)):
                elapsed = time.monotonic() - started
                log.info("%s:%s accepts connections (after %.1f s)", host, port, elapsed)
                return elapsed
        except OSError as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
        if time.monotonic() + interval_s > deadline:
            raise WaitTimeout(
                f"{host}:{port} not reachable within {timeout_s:g} s ({last_problem})"
            )
        log.debug("waiting for %s:%s: %s", host, port, last_problem)
        time.sleep(interval_s)


def http_status(url: str, *, method: str = "GET", timeout_s: float = _ATTEMPT_TIMEOUT_S) -> int:
    """The status code one request to ``url`` gets (redirects followed); OSError if none."""
    # Imported here: urllib.request (http.client, email, ssl) costs ~0.08 s of every plugin's
    # start, and most plugins never make an HTTP request.
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, headers={"User-Agent": "shoal-plugin"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def wait_for_http(
    url: str,
    *,
    timeout_s: float = 60.0,
    interval_s: float = 1.0,
    method: str = "GET",
    accept: Container[int] = range(200, 300),
) -> int:
    """Wait until ``url`` answers with a status in ``accept`` (2xx); that status."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PluginError(f"cannot request {url!r}: not an http(s) URL")  # waiting won't fix it
    log = get_logger()
    started = time.monotonic()
    deadline = started + timeout_s
    last_problem = "no attempt made"
    while True:
        try:
            status = http_status(url, method=method, timeout_s=_attempt_timeout(deadline))
            if status in accept:
                log.info("%s answered %s (after %.1f s)", url, status, time.monotonic() - started)
                return status
            last_problem = f"HTTP {status}"
        except OSError as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
        except ValueError as exc:  # a malformed URL: waiting will not fix it
            raise PluginError(f"cannot request {url!r}: {exc}") from None
        if time.monotonic() + interval_s > deadline:
            raise WaitTimeout(
                f"{url} did not answer as expected within {timeout_s:g} s ({last_problem})"
            )
        log.debug("waiting for %s: %s", url, last_problem)
        time.sleep(interval_s)
