"""A TTY `docker exec`: the raw socket of an exec started with a pty (no multiplexing, stdin
and output on one stream), resizable. Blocking: call its methods from worker threads."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from agent.runtime import Docker

# bash when the image has it, else sh; a login-ish prompt either way.
AUTO_SHELL = ["sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"]


@dataclass
class Pty:
    docker_: Any
    exec_id: str
    raw: socket.socket

    def read(self, size: int) -> bytes:
        """Up to `size` bytes of output; b"" once the shell ended or the pty was closed."""
        try:
            return self.raw.recv(size)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        self.raw.sendall(data)

    def resize(self, cols: int, rows: int) -> None:
        self.docker_.run(lambda c: c.api.exec_resize(self.exec_id, height=rows, width=cols))

    def close(self) -> None:
        try:
            self.raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.raw.close()

    def exit_code(self) -> int | None:
        state = self.docker_.run(lambda c: c.api.exec_inspect(self.exec_id))
        code = None if state.get("Running") else state.get("ExitCode")
        return None if code is None else int(code)


def open_pty(docker_: Docker, container_id: str, shell: str, cols: int, rows: int) -> Pty:
    command = [shell] if shell else AUTO_SHELL
    exec_id = docker_.run(
        lambda c: c.api.exec_create(
            container_id,
            command,
            stdin=True,
            stdout=True,
            stderr=True,
            tty=True,
            environment={"TERM": "xterm-256color"},
        )
    )["Id"]
    stream = docker_.run(lambda c: c.api.exec_start(exec_id, tty=True, socket=True))
    raw: socket.socket = getattr(stream, "_sock", stream)
    pty = Pty(docker_, exec_id, raw)
    try:
        pty.resize(cols, rows)
    except Exception:  # the shell may not have started yet; the browser resizes again soon
        pass
    return pty
