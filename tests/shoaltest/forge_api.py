"""A forge's API in a test: a local HTTP server that records every call (method, path,
headers, JSON body) and answers like GitHub, GitLab or Gitea do for a comment (201 with an id),
its edit (200) and a commit status (201). `failing = True` makes every call a 503.

    with forge_api() as forge:
        ... rule with api_base_url=forge.url ...
        assert [c.method for c in forge.comment_calls()] == ["POST", "PATCH", "PATCH"]
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from shoaltest.ports import free_port


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class ForgeApi:
    port: int
    calls: list[Call] = field(default_factory=list)
    failing: bool = False
    next_id: int = 1001

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def comment_calls(self) -> list[Call]:
        return [c for c in self.calls if "/comments" in c.path or "/notes" in c.path]

    def status_calls(self) -> list[Call]:
        return [c for c in self.calls if "/statuses/" in c.path]

    def answer(self, method: str, path: str) -> tuple[int, dict]:
        if self.failing:
            return 503, {"message": "down for maintenance"}
        if "/statuses/" in path:
            return 201, {"state": "ok"}
        if method == "POST":
            self.next_id += 1
            return 201, {"id": self.next_id - 1}
        return 200, {"id": int(path.rsplit("/", 1)[-1])}


@contextmanager
def forge_api() -> Iterator[ForgeApi]:
    forge = ForgeApi(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            forge.calls.append(
                Call(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw) if raw else {},
                )
            )
            status, answer = forge.answer(self.command, self.path)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PATCH = do_PUT = _handle

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", forge.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
