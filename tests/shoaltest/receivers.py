"""Receivers for notification tests: an HTTP endpoint that records every request and answers
from a script (500 then 200, a hang, a redirect loop), and a real SMTP server (aiosmtpd)
keeping each message it accepts, parsed, optionally requiring a login."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from shoaltest.ports import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class HttpReceiver:
    """`script`: answers in order (an int status; "hang" sleeps past any timeout; "redirect"
    sends a 302 back to itself); once used up, every request gets `then`."""

    port: int
    script: list[int | str] = field(default_factory=list)
    then: int = 200
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        for _ in range(int(timeout_s / 0.05)):
            if len(self.requests) >= count:
                break
            await asyncio.sleep(0.05)
        return list(self.requests)


@contextmanager
def http_receiver(script: list[int | str] | None = None, then: int = 200) -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(port=free_port(), script=list(script or []), then=then)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                answer = receiver.script.pop(0) if receiver.script else receiver.then
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
            if answer == "hang":
                time.sleep(15)
                answer = 200
            if answer == "redirect":
                self.send_response(302)
                self.send_header("Location", receiver.url)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            text = b"ok" if answer == 200 else b"receiver says no"
            self.send_response(int(answer))
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class _Keep:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class SmtpReceiver:
    port: int
    keep: _Keep

    @property
    def messages(self) -> list[EmailMessage]:
        return self.keep.messages

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[EmailMessage]:
        for _ in range(int(timeout_s / 0.05)):
            if len(self.messages) >= count:
                break
            await asyncio.sleep(0.05)
        return list(self.messages)


@contextmanager
def smtp_receiver(login: tuple[str, str] | None = None) -> Iterator[SmtpReceiver]:
    """A plain SMTP server on loopback; with `login`, AUTH is required and only that pair
    passes (over plain text: it is loopback, and the test checks a refused login)."""
    keep = _Keep()

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and login is not None
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == login
        )
        return AuthResult(success=ok, handled=False)

    options = {}
    if login is not None:
        options = {
            "authenticator": authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(keep, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield SmtpReceiver(controller.port, keep)
    finally:
        controller.stop()
