"""Interactive terminals: a TTY `docker exec` in a running service, streamed both ways.

    CP → agent   TerminalOpen{id, terminal, deployment_id, step, shell, cols, rows}
                 → Ok once the shell runs | ErrorReply (not_found: no running container)
    CP → agent   TerminalInput{terminal, data} · TerminalResize{terminal, cols, rows}
                 · TerminalAck{terminal, size} · TerminalClose{terminal}
                 (no reply unless one fails: an `error` with their id)
    agent → CP   TerminalOutput{terminal, data} … then TerminalEnded{terminal, reason, exit_code}

`terminal` is the control plane's key for the session (random, unique per node), so any hub
process can address it. Flow control is a credit window: the agent sends at most
TERMINAL_WINDOW_BYTES of output the control plane has not acknowledged (TerminalAck{size} after
it has passed that much on to the browser), then stops reading the pty, so a command printing
without end blocks in the container instead of growing memory on the agent or the control
plane. Data is raw bytes (base64 on the wire): the browser's terminal decodes it. Added after
protocol 2: an older agent answers `unknown_type`.
"""

from __future__ import annotations

from msgspec import Struct

TERMINAL_WINDOW_BYTES = 256 * 1024
TERMINAL_CHUNK_BYTES = 16 * 1024


class TerminalOpen(Struct, tag="terminal_open", tag_field="type", kw_only=True):
    id: int
    terminal: str
    deployment_id: int
    step: str
    shell: str = ""  # "" = bash when the image has it, else sh
    cols: int = 80
    rows: int = 24


class TerminalInput(Struct, tag="terminal_input", tag_field="type", kw_only=True):
    id: int
    terminal: str
    data: bytes


class TerminalResize(Struct, tag="terminal_resize", tag_field="type", kw_only=True):
    id: int
    terminal: str
    cols: int
    rows: int


class TerminalAck(Struct, tag="terminal_ack", tag_field="type", kw_only=True):
    id: int
    terminal: str
    size: int  # output bytes passed on since the last ack


class TerminalClose(Struct, tag="terminal_close", tag_field="type", kw_only=True):
    id: int
    terminal: str


TerminalRequest = TerminalOpen | TerminalInput | TerminalResize | TerminalAck | TerminalClose


class TerminalOutput(Struct, tag="terminal_output", tag_field="type", kw_only=True):
    terminal: str
    data: bytes


class TerminalEnded(Struct, tag="terminal_ended", tag_field="type", kw_only=True):
    terminal: str
    reason: str = ""
    exit_code: int | None = None


__all__ = [
    "TERMINAL_CHUNK_BYTES",
    "TERMINAL_WINDOW_BYTES",
    "TerminalAck",
    "TerminalClose",
    "TerminalEnded",
    "TerminalInput",
    "TerminalOpen",
    "TerminalOutput",
    "TerminalRequest",
    "TerminalResize",
]
