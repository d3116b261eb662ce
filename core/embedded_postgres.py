"""The embedded PostgreSQL of a data dir (pgserver): start or join it, take over one that an
earlier process could not stop, stop it when the last Shoal process using it ends.

pgserver lists the processes sharing a server in `<pgdata>/.handle_pids.json` and stops the
server when the last of them exits normally. Two things it leaves to luck, fixed here:
- a process killed with SIGKILL stays in that list for ever, so the server is never stopped
  again and every later `up` leaves it running: dead entries are dropped before each use;
- a `postmaster.pid` whose pid now belongs to another program (after a crash or a reboot)
  passes pgserver's "is it running" check, and Shoal would be handed a socket nobody serves.

A server whose sharers are all gone (its `up` was killed) is stopped cleanly with
`pg_ctl stop -m fast` and started afresh, so each run owns the server it stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("shoal.db")

HANDLES = ".handle_pids.json"
STOP_WAIT_S = 30.0


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":  # a zombie is dead, just not reaped yet
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    return bool(_cmdline(pid))


def postmaster_pid(pgdata: Path) -> int | None:
    """The server pid recorded in `postmaster.pid`, if the file is there and readable."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def is_our_postgres(pid: int, pgdata: Path) -> bool:
    """`pid` is a postmaster serving exactly `pgdata` (pgserver starts it as `postgres -D dir`)."""
    args = _cmdline(pid)
    return bool(args) and Path(args[0]).name == "postgres" and str(pgdata) in args


def _is_sharer(pid: int) -> bool:
    """A live process that can be a pgserver user: Python (Shoal, its tests and benches).
    A pid reused by anything else must not keep the server alive for ever."""
    args = _cmdline(pid)
    return bool(args) and (Path(args[0]).name.startswith("python") or "shoal" in " ".join(args))


def _handles(pgdata: Path) -> list[int]:
    try:
        return [int(pid) for pid in json.loads((pgdata / HANDLES).read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _prune_handles(pgdata: Path) -> list[int]:
    """Drop the processes that are gone from pgserver's list; return the other live sharers.
    Call with the lock held."""
    listed = _handles(pgdata)
    live = [pid for pid in listed if pid == os.getpid() or _is_sharer(pid)]
    if live != listed:
        (pgdata / HANDLES).write_text(json.dumps(live))
    return [pid for pid in live if pid != os.getpid()]


def take_over(pgdata: Path) -> str | None:
    """Before pgserver starts or joins the server: clear what an earlier run left. Returns a
    sentence for the log when something had to be done. Under pgserver's lock, so a Shoal
    process starting the same server meanwhile is never mistaken for a leftover."""
    if not pgdata.is_dir():
        return None
    with _lock():
        return _take_over(pgdata)


def _take_over(pgdata: Path) -> str | None:
    others = _prune_handles(pgdata)
    pid = postmaster_pid(pgdata)
    if pid is None:
        return None
    if not is_our_postgres(pid, pgdata):
        with contextlib.suppress(FileNotFoundError):
            (pgdata / "postmaster.pid").unlink()
        return f"removed a stale postmaster.pid (pid {pid} is not this data dir's PostgreSQL)"
    if others or os.getpid() in _handles(pgdata):
        return None  # a running Shoal process (maybe this one) uses it: join
    stop_server(pid, pgdata)
    return f"stopped PostgreSQL (pid {pid}) left running by an earlier run that was killed"


def stop_server(pid: int, pgdata: Path) -> None:
    """Fast shutdown (clients disconnected, no recovery needed at next start), waited for."""
    try:
        os.kill(pid, signal.SIGINT)  # what `pg_ctl stop -m fast` sends
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_WAIT_S
    while time.monotonic() < deadline:
        if not is_our_postgres(pid, pgdata):
            return
        time.sleep(0.05)
    log.warning("PostgreSQL (pid %s) did not stop within %.0f s; killing it", pid, STOP_WAIT_S)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop(server: Any, pgdata: Path) -> list[int]:
    """Leave the server as pgserver does (stopped when this process is its last user). Returns
    the pids of the other Shoal processes still using it (then it keeps running)."""
    with _lock():
        others = _prune_handles(pgdata)
    with contextlib.suppress(Exception):
        server.cleanup()
    pid = postmaster_pid(pgdata)
    if not others and pid is not None and is_our_postgres(pid, pgdata):
        stop_server(pid, pgdata)  # pgserver's pg_ctl failed or timed out
    return others


def _lock() -> Any:
    """pgserver's own inter-process lock around its handle list."""
    from pgserver.postgres_server import PostgresServer

    return PostgresServer._lock
