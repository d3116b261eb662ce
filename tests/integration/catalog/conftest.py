"""Catalog fixtures: a pushed image, a bearer-token front for the real registry, dead ends.

`bearer_registry` is what Docker Hub, GHCR and Harbor look like to a client: /v2/ answers 401
with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, the realm hands out a token for
the right credentials, and requests carrying a token for the right scope are passed on to the
real htpasswd registry behind it (so tags, pagination and 404s are the registry's own).
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from shoaltest.db import insert_row
from shoaltest.registry import RegistryServer

APP_IMAGE = "shoal/app"
APP_TAGS = ["v1.9.2", "v1.10.0", "v1.10.0-rc1", "features-login", "latest", "1.2.3", "1.2.10"]
SERVICE = "shoal-test-registry"


@pytest.fixture(scope="session")
def app_image(registry: RegistryServer, busybox_image: str) -> str:
    """`shoal/app` pushed under APP_TAGS to the real registry."""
    for tag in APP_TAGS:
        registry.push(busybox_image, APP_IMAGE, tag)
    return APP_IMAGE


@pytest.fixture(scope="session")
def app_tags() -> list[str]:
    return list(APP_TAGS)


@dataclass
class BearerFront:
    url: str
    username: str
    password: str
    token_requests: list[dict] = field(default_factory=list)
    token_auth_headers: list[str] = field(default_factory=list)


def _handler(front: BearerFront, upstream: RegistryServer, tokens: dict[str, str]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            if parsed.path == "/token":
                return self._token(parse_qs(parsed.query))
            parts = parsed.path.split("/")
            repo = "/".join(parts[2:-2]) if parsed.path.endswith("/tags/list") else ""
            scope = f"repository:{repo}:pull" if repo else ""
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in tokens or (scope and tokens[bearer] != scope):
                challenge = f'Bearer realm="{front.url}/token",service="{SERVICE}"'
                challenge += f',scope="{scope}"' if scope else ""
                return self._reply(401, b"{}", {"WWW-Authenticate": challenge})
            answer = httpx.get(
                upstream.url + self.path, auth=(upstream.username, upstream.password)
            )
            headers = {"Content-Type": "application/json"}
            if "link" in answer.headers:
                headers["Link"] = answer.headers["link"]
            self._reply(answer.status_code, answer.content, headers)

        def _token(self, query: dict[str, list[str]]) -> None:
            front.token_requests.append({k: v[0] for k, v in query.items()})
            front.token_auth_headers.append(self.headers.get("Authorization", ""))
            expected = httpx.BasicAuth(front.username, front.password)._auth_header
            if self.headers.get("Authorization") != expected:
                return self._reply(401, b'{"details":"incorrect username or password"}', {})
            token = secrets.token_urlsafe(16)
            tokens[token] = query.get("scope", [""])[0]
            self._reply(200, f'{{"token": "{token}"}}'.encode(), {})

    return Handler


@pytest.fixture(scope="session")
def bearer_registry(registry: RegistryServer) -> Iterator[BearerFront]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    front = BearerFront(f"http://127.0.0.1:{server.server_port}", "robot", secrets.token_hex(8))
    server.RequestHandlerClass = _handler(front, registry, {})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield front
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def silent_server() -> Iterator[str]:
    """host:port that accepts connections (kernel backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
async def secret_key() -> bytes:
    """A fresh master key in this test's runtime (async: what it enters ends with the test)."""
    from core import crypto, runtime

    key = crypto.generate_key()
    runtime.install(box=crypto.SecretBox(key))
    return key


@pytest.fixture
async def catalog_admin(db: str, secret_key: bytes):
    """An admin user (so audit rows and "set by" name a real person) and a clean tag cache."""
    from core.actor import Actor
    from core.services import tag_cache
    from core.tables import User

    tag_cache.clear()
    # Inserted directly: hashing a real password costs more than the rest of a test.
    user_id = await insert_row(User(username="root", password_hash="x", is_admin=True))
    return Actor(id=user_id, username="root", is_admin=True)


@pytest.fixture
async def private_registry(catalog_admin, registry: RegistryServer, app_image: str):
    """The real test registry saved as a Shoal registry (with its password encrypted)."""
    from core.services import registries

    data = registries.RegistryInput(
        name="local", url=registry.url, username=registry.username, password=registry.password
    )
    return await registries.create_registry(catalog_admin, data)
