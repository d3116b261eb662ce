"""Readiness waits against real sockets on 127.0.0.1: success, late start, deadline."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from shoal_plugin import PluginError, WaitTimeout, http_status, wait_for_http, wait_for_tcp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Answers(http.server.BaseHTTPRequestHandler):
    statuses: list[int] = []

    def do_GET(self) -> None:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        self.send_response(status)
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[Answers]]]:
    handler = type("Handler", (Answers,), {"statuses": [200]})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    server.shutdown()
    server.server_close()


def test_tcp_ready_at_once():
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert wait_for_tcp("127.0.0.1", server.getsockname()[1], timeout_s=2) < 1


def test_tcp_waits_for_a_late_listener():
    port = free_port()
    late = threading.Timer(0.6, lambda: holder.append(socket.create_server(("127.0.0.1", port))))
    holder: list[socket.socket] = []
    late.start()
    try:
        assert 0.5 < wait_for_tcp("127.0.0.1", port, timeout_s=5, interval_s=0.1) < 3
    finally:
        late.join()
        for server in holder:
            server.close()


def test_tcp_deadline_names_the_last_problem():
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"127.0.0.1:\d+ not reachable within 0.5 s \(Connection"):
        wait_for_tcp("127.0.0.1", free_port(), timeout_s=0.5, interval_s=0.1)
    assert time.monotonic() - started < 2


def test_http_waits_through_errors_until_2xx(http_server):
    url, handler = http_server
    handler.statuses = [503, 404, 204]
    assert wait_for_http(url, timeout_s=5, interval_s=0.05) == 204


def test_http_deadline_reports_the_last_status(http_server):
    url, handler = http_server
    handler.statuses = [500]
    with pytest.raises(WaitTimeout, match=r"within 0.3 s \(HTTP 500\)"):
        wait_for_http(url, timeout_s=0.3, interval_s=0.05)


def test_http_accepts_a_custom_status_set_and_head(http_server):
    url, handler = http_server
    handler.statuses = [401]
    assert wait_for_http(url, timeout_s=2, method="HEAD", accept={401}) == 401
    assert http_status(url) == 401


def test_http_nothing_listening():
    with pytest.raises(WaitTimeout, match=r"Connection refused|URLError"):
        wait_for_http(f"http://127.0.0.1:{free_port()}/", timeout_s=0.3, interval_s=0.05)


def test_http_malformed_url_fails_at_once():
    started = time.monotonic()
    with pytest.raises(PluginError, match="cannot request 'nope://x'"):
        wait_for_http("nope://x", timeout_s=30)
    assert time.monotonic() - started < 1
