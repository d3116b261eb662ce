"""One-shot commands in a running service's container (`docker exec`, no TTY).

    CP → agent   Exec{id, deployment_id, step, command, timeout_s, limit_bytes}
    agent → CP   ExecResult{id, exit_code, stdout, stderr, …}  |  ErrorReply (not_found: no
                 such container or it is not running)

stdout and stderr are raw bytes (base64 on the wire, as msgspec writes `bytes`): the agent
never decodes them, so binary output and invalid UTF-8 arrive unchanged. Each keeps its first
`limit_bytes`; the rest is read and dropped (the command is never blocked on a full pipe) and
the `…_truncated` flag says so. Added after protocol 2: an older agent answers `unknown_type`.
"""

from __future__ import annotations

from msgspec import Struct

EXEC_LIMIT_BYTES = 1024 * 1024  # per stream, what the control plane asks for by default
EXEC_TIMEOUT_MAX_S = 600.0


class Exec(Struct, tag="exec", tag_field="type", kw_only=True):
    id: int
    deployment_id: int
    step: str  # the service's pipeline node id
    command: list[str]  # argv, run as is (no shell unless the command names one)
    timeout_s: float = 60.0
    limit_bytes: int = EXEC_LIMIT_BYTES


class ExecResult(Struct, tag="exec_result", tag_field="type", kw_only=True):
    id: int
    exit_code: int | None  # None when it timed out (Docker cannot kill an exec: it may go on)
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False
    duration_s: float = 0.0


__all__ = ["EXEC_LIMIT_BYTES", "EXEC_TIMEOUT_MAX_S", "Exec", "ExecResult"]
