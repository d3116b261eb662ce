"""Where RegistryClient sends credentials, against real HTTP servers on loopback.

Each server is a ThreadingHTTPServer on its own 127.0.0.x port that records every request
it gets, so "never sees the credentials" is checked on the wire, not on the client's intent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from core.registry_client import (
    RegistryAuthError,
    RegistryClient,
    RegistryError,
    RegistryUnreachable,
)

USER, PASSWORD = "robot", "s3cret-registry-password"
BASIC = httpx.BasicAuth(USER, PASSWORD)._auth_header
Answer = tuple[int, dict, dict[str, str]]  # status, JSON body, headers


@dataclass
class Server:
    url: str
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization)

    @property
    def saw_credentials(self) -> bool:
        return any(auth for _, auth in self.seen)


@contextmanager
def serving(answer: Callable[[str, str], Answer], host: str = "127.0.0.1") -> Iterator[Server]:
    """A plain-HTTP server answering GETs with `answer(path, authorization)`."""
    server = ThreadingHTTPServer((host, 0), BaseHTTPRequestHandler)
    record = Server(f"http://{host}:{server.server_port}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization", "")
            record.seen.append((self.path, auth))
            status, body, headers = answer(self.path, auth)
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def basic_registry(next_page: str) -> Callable[[str, str], Answer]:
    """An htpasswd-style registry whose first tag page links to `next_page`."""

    def answer(path: str, auth: str) -> Answer:
        if auth != BASIC:
            return 401, {}, {"WWW-Authenticate": 'Basic realm="test"'}
        return 200, {"tags": ["v1"]}, {"Link": f'<{next_page}>; rel="next"'}

    return answer


def recorder(path: str, auth: str) -> Answer:
    return 200, {"tags": ["stolen"], "token": "t"}, {}


def bearer_registry(realm: str) -> Callable[[str, str], Answer]:
    def answer(path: str, auth: str) -> Answer:
        if auth == "Bearer good-token":
            return 200, {"tags": ["v1", "v2"]}, {}
        return 401, {}, {"WWW-Authenticate": f'Bearer realm="{realm}",service="test"'}

    return answer


def token_server(path: str, auth: str) -> Answer:
    if auth != BASIC:
        return 401, {}, {}
    return 200, {"token": "good-token"}, {}


async def test_a_registry_paginating_to_another_port_never_sends_credentials_there():
    with serving(recorder) as elsewhere:
        with serving(basic_registry(f"{elsewhere.url}/v2/a/b/tags/list?last=v1")) as reg:
            async with RegistryClient(reg.url, USER, PASSWORD) as client:
                with pytest.raises(RegistryError, match="another origin") as caught:
                    await client.list_tags("a/b")
    assert elsewhere.url in caught.value.detail
    assert reg.saw_credentials  # the registry itself got them, once it asked
    assert elsewhere.seen == []


async def test_a_plain_http_token_realm_on_another_host_never_sees_credentials():
    with serving(recorder, host="127.0.0.2") as realm_host:
        with serving(bearer_registry(f"{realm_host.url}/token")) as reg:
            async with RegistryClient(reg.url, USER, PASSWORD) as client:
                with pytest.raises(RegistryAuthError, match="https") as caught:
                    await client.list_tags("a/b")
    assert realm_host.url in caught.value.detail
    assert realm_host.seen == [] and not reg.saw_credentials


async def test_a_plain_http_realm_on_the_registrys_own_host_gets_them():
    """An http registry with its token service on another port of the same host (the
    docker-registry + docker_auth layout on one machine): allowed, by the documented rule."""
    with serving(token_server) as auth:
        with serving(bearer_registry(f"{auth.url}/token")) as reg:
            async with RegistryClient(reg.url, USER, PASSWORD) as client:
                assert await client.list_tags("a/b") == ["v1", "v2"]
    assert [a for _, a in auth.seen] == [BASIC]
    assert {a for _, a in reg.seen} == {"", "Bearer good-token"}


async def test_https_to_a_plain_http_registry_says_to_use_http():
    with serving(recorder) as reg:
        host = reg.url.removeprefix("http://")
        async with RegistryClient(f"https://{host}", USER, PASSWORD) as client:
            with pytest.raises(RegistryUnreachable) as caught:
                await client.check()
    assert f"answers plain HTTP; use http://{host}" in caught.value.detail
    assert "SSL" not in caught.value.detail and "WRONG_VERSION" not in caught.value.detail
    assert not reg.saw_credentials  # the probe that found out sends nothing
