"""`docker exec` of one command in a running container, without a TTY: stdout and stderr kept
apart, each up to a byte limit, under a hard timeout.

Blocking: call it from a worker thread. The timeout is our own timer closing the socket,
because the exec stream ignores socket timeouts. Docker has no call to kill an exec, so a
command that times out may go on running in the container; the caller is told (timed_out).
Output beyond the limit is read and dropped, so the command never blocks on a full pipe and
the agent never holds more than the limit per stream.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from agent.runtime import Docker

STDOUT, STDERR = 1, 2


@dataclass
class ExecOutput:
    exit_code: int | None = None
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False
    duration_s: float = 0.0


def run_exec(
    docker_: Docker, container_id: str, command: list[str], timeout_s: float, limit_bytes: int
) -> ExecOutput:
    started = time.monotonic()
    result = ExecOutput()
    exec_id = docker_.run(
        lambda c: c.api.exec_create(container_id, command, stdout=True, stderr=True)
    )["Id"]
    stream = docker_.run(lambda c: c.api.exec_start(exec_id, socket=True))
    raw: socket.socket = getattr(stream, "_sock", stream)

    def expire() -> None:
        result.timed_out = True
        try:
            raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    timer = threading.Timer(timeout_s, expire)
    timer.start()
    try:
        read_frames(raw, result, limit_bytes)
    finally:
        timer.cancel()
        raw.close()
    if not result.timed_out:
        result.exit_code = _exit_code(docker_, exec_id)
    result.duration_s = round(time.monotonic() - started, 3)
    return result


def _exit_code(docker_: Docker, exec_id: str) -> int | None:
    # The stream ends a moment before Docker records the exit code.
    for _ in range(50):
        state = docker_.run(lambda c: c.api.exec_inspect(exec_id))
        if not state.get("Running"):
            code = state.get("ExitCode")
            return None if code is None else int(code)
        time.sleep(0.02)
    return None


def read_frames(raw: socket.socket, result: ExecOutput, limit_bytes: int) -> None:
    """Docker's multiplexed stream: 8-byte headers (stream kind, 4-byte big-endian size), then
    the payload, consumed as it arrives (a frame's size never decides what is held)."""
    header, kind, remaining = bytearray(), 0, 0
    while True:
        try:
            chunk = memoryview(raw.recv(65536))
        except OSError:
            break
        if not chunk:
            break
        while chunk:
            if remaining == 0:
                need = 8 - len(header)
                header += chunk[:need]
                chunk = chunk[need:]
                if len(header) == 8:
                    kind, remaining = header[0], int.from_bytes(header[4:8], "big")
                    header.clear()
                continue
            payload, chunk = chunk[:remaining], chunk[remaining:]
            remaining -= len(payload)
            if kind == STDOUT:
                result.stdout_truncated |= _keep(result.stdout, payload, limit_bytes)
            elif kind == STDERR:
                result.stderr_truncated |= _keep(result.stderr, payload, limit_bytes)


def _keep(kept: bytearray, payload: memoryview, limit_bytes: int) -> bool:
    """Append what fits under the limit; True when some of `payload` was dropped."""
    room = limit_bytes - len(kept)
    if room > 0:
        kept += payload[:room]
    return len(payload) > max(room, 0)
