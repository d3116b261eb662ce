"""Run a plugin container the way `docker run --rm -i` does: one document on stdin, stdout
captured, stderr lines handed to a callback as they come, a hard timeout, then removal. It runs
confined (hardening.plugin_options): `network=None` means no network at all.

Blocking: call it from a worker thread. stdin is written from its own thread (writing and
reading on one thread deadlocks once the pipes fill) and the timeout is our own timer, because
the attach stream ignores socket timeouts. Output beyond the caps is drained and dropped.
With `stdin_ready`, the document is written only once that event is set: the container and
the plugin's process start meanwhile (a data action overlaps them with stopping services, a
reset's plugin is held ready ahead of time), and the timeout counts from then.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.runtime import Docker, NotFound
from agent.runtime.containers import limit_kwargs
from agent.runtime.hardening import plugin_options

STDOUT_LIMIT = 1024 * 1024
STDERR_FORWARD_LIMIT = 1024 * 1024
LINE_LIMIT = 8192
STDOUT, STDERR = 1, 2


@dataclass
class AttachedRun:
    exit_code: int | None = None
    stdout: bytes = b""
    stdout_truncated: bool = False
    timed_out: bool = False
    killed: bool = False


class StderrLines:
    """stderr cut into lines of at most LINE_LIMIT bytes for `emit` (the live stream) until
    STDERR_FORWARD_LIMIT bytes went out; every byte also goes to `keep` (the step's kept log)."""

    def __init__(
        self, emit: Callable[[str], None], keep: Callable[[bytes], None] | None = None
    ) -> None:
        self.emit, self.keep = emit, keep
        self.partial, self.forwarded, self.capped = b"", 0, False

    def feed(self, data: bytes) -> None:
        if self.keep is not None:
            self.keep(data)
        if self.capped:  # nothing more goes out live: no need to cut lines
            return
        *lines, self.partial = (self.partial + data).split(b"\n")
        for line in lines:
            self._send(line)
        if len(self.partial) > LINE_LIMIT:
            self._send(self.partial)
            self.partial = b""

    def finish(self) -> None:
        if self.partial:
            self._send(self.partial)

    def _send(self, line: bytes) -> None:
        if self.capped:
            return
        self.forwarded += len(line)
        if self.forwarded > STDERR_FORWARD_LIMIT:
            self.capped = True
            self.emit(f"[shoal: log output beyond {STDERR_FORWARD_LIMIT} bytes dropped]")
            return
        self.emit(line[:LINE_LIMIT].decode(errors="replace").rstrip("\r"))


def run_attached(
    docker_: Docker,
    *,
    name: str,
    image: str,
    labels: dict[str, str],
    network: str | None,
    cpu: float | None,
    memory_mb: int | None,
    stdin_document: bytes,
    timeout_s: float,
    stderr: StderrLines,
    cancelled: threading.Event,
    stdin_ready: threading.Event | None = None,
    mounts: dict[str, str] | None = None,
) -> AttachedRun:
    result = AttachedRun()
    try:
        docker_.run(lambda c: c.api.remove_container(name, force=True))
    except NotFound:
        pass
    container = docker_.run(
        lambda c: c.containers.create(
            image,
            name=name,
            labels=labels,
            stdin_open=True,
            init=True,
            **plugin_options(network, memory_mb),
            # A dataset's file (docs/data.md): read-only, whatever the plugin does.
            volumes={host: {"bind": path, "mode": "ro"} for path, host in (mounts or {}).items()},
            **limit_kwargs(cpu, memory_mb),
        )
    )

    def kill(reason: str) -> None:
        setattr(result, reason, True)
        try:
            docker_.run(lambda c: container.kill())
        except Exception:  # it may have exited already
            pass

    try:
        stream: Any = docker_.run(
            lambda c: c.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
        )
        raw: socket.socket = getattr(stream, "_sock", stream)
        docker_.run(lambda c: container.start())
        finished = threading.Event()
        timer = threading.Timer(timeout_s, kill, args=("timed_out",))
        gate = (stdin_ready, cancelled, finished) if stdin_ready is not None else None
        threading.Thread(
            target=_write_stdin, args=(raw, stdin_document, gate, timer), daemon=True
        ).start()
        threading.Thread(
            target=_watch_cancel, args=(cancelled, finished, kill), daemon=True
        ).start()
        try:
            _read_frames(raw, result, stderr)
        finally:
            timer.cancel()
            finished.set()
            raw.close()
        status = docker_.run(lambda c: container.wait(timeout=30))
        result.exit_code = int(status.get("StatusCode", -1))
    finally:
        try:
            docker_.run(lambda c: container.remove(force=True))
        except Exception:  # best effort, reconcile removes leftovers by label
            pass
    return result


def _watch_cancel(
    cancelled: threading.Event, finished: threading.Event, kill: Callable[[str], None]
) -> None:
    while not finished.wait(0.1):
        if cancelled.is_set():
            kill("killed")
            return


def _write_stdin(
    raw: socket.socket,
    document: bytes,
    gate: tuple[threading.Event, threading.Event, threading.Event] | None,
    timer: threading.Timer,
) -> None:
    """Once `gate`'s first event is set, unless the run was cancelled or ended meanwhile; the
    timeout starts then."""
    if gate is not None:
        ready, cancelled, finished = gate
        while not ready.wait(0.02):
            if cancelled.is_set() or finished.is_set():
                return
    timer.start()
    try:
        raw.sendall(document)
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the plugin exited or was killed without reading everything


def _read_frames(raw: socket.socket, result: AttachedRun, stderr: StderrLines) -> None:
    buffer = bytearray()
    stdout = bytearray()
    while True:
        try:
            chunk = raw.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        buffer += chunk
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            kind, payload = buffer[0], bytes(buffer[8 : 8 + size])
            del buffer[: 8 + size]
            if kind == STDERR:
                stderr.feed(payload)
            elif kind == STDOUT:
                if len(stdout) + len(payload) > STDOUT_LIMIT:
                    result.stdout_truncated = True
                else:
                    stdout += payload
    stderr.finish()
    result.stdout = bytes(stdout)
