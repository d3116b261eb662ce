"""Reading a `docker exec` stream (runtime/execs.py): stdout and stderr kept apart, each cut at
the limit while the rest is read and dropped, frames split anywhere across reads."""

from __future__ import annotations

import socket
import threading

from agent.runtime.execs import ExecOutput, read_frames


def frame(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


def read(data: bytes, limit: int, piece: int = 7) -> ExecOutput:
    ours, theirs = socket.socketpair()

    def write() -> None:
        for start in range(0, len(data), piece):  # headers and payloads cut mid-way
            theirs.sendall(data[start : start + piece])
        theirs.close()

    writer = threading.Thread(target=write)
    writer.start()
    result = ExecOutput()
    read_frames(ours, result, limit)
    writer.join()
    ours.close()
    return result


def test_streams_are_kept_apart_and_binary_untouched():
    data = frame(1, b"out\xff") + frame(2, b"err\n") + frame(1, b"\x00more")
    result = read(data, limit=1024)
    assert bytes(result.stdout) == b"out\xff\x00more"
    assert bytes(result.stderr) == b"err\n"
    assert not result.stdout_truncated and not result.stderr_truncated


def test_output_beyond_the_limit_is_read_and_dropped():
    data = frame(1, b"x" * 5000) + frame(2, b"e" * 10) + frame(1, b"y" * 3000)
    result = read(data, limit=6000, piece=4096)
    assert bytes(result.stdout) == b"x" * 5000 + b"y" * 1000
    assert result.stdout_truncated and not result.stderr_truncated
    assert bytes(result.stderr) == b"e" * 10


def test_one_huge_frame_never_holds_more_than_the_limit():
    data = frame(1, b"z" * 3_000_000)
    result = read(data, limit=1000, piece=65536)
    assert len(result.stdout) == 1000 and result.stdout_truncated
