"""How `shoal up` ends: SIGTERM and SIGHUP end it as cleanly as Ctrl-C, what it started is
stopped on every exit path Python sees, and the console says what keeps running.

uvicorn turns SIGINT and SIGTERM into a graceful shutdown, then raises the signal again under
the handler that was there before it started. With Python's defaults SIGTERM then killed the
process on the spot (no `finally`, no atexit: the embedded PostgreSQL stayed up) and SIGHUP
did so at once. Here each becomes a SystemExit, so `finish` runs. SIGKILL cannot be handled:
the next `up` takes over what it left (core.embedded_postgres, Caddy's pid file, the agent's
parent-death signal).
"""

from __future__ import annotations

import shutil
import signal
import sys
from types import FrameType

from core import db
from core.settings import Settings
from web import local_agent

EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_on_signals() -> None:
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _hang_up)


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _hang_up(_signum: int, _frame: FrameType | None) -> None:
    # uvicorn does not handle SIGHUP: as SIGTERM it gets the same graceful shutdown while the
    # server runs (uvicorn's handler), and a SystemExit before or after (ours).
    signal.raise_signal(signal.SIGTERM)


def finish(settings: Settings) -> None:
    """Stop what `up` started that still runs, then say what keeps running. Signals are ignored
    meanwhile: a second Ctrl-C must not leave PostgreSQL half stopped."""
    for signum in EXIT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    agent = local_agent.stop_local_agent()
    embedded = not settings.database_url
    sharers = db.stop_embedded() if embedded else []
    print(summary(settings, agent=agent, embedded=embedded, sharers=sharers), flush=True)
    sys.stdout.flush()


def summary(settings: Settings, *, agent: bool, embedded: bool, sharers: list[int]) -> str:
    stopped = ["the web server with its worker"]
    if not settings.caddy_admin and shutil.which("caddy"):
        stopped.append("its Caddy")
    if agent:
        stopped.append("the local agent")
    lines = []
    if embedded and sharers:
        pids = ", ".join(str(pid) for pid in sharers)
        lines.append(
            f"The embedded PostgreSQL keeps running: other Shoal processes use it (pid {pids}); "
            "it stops with the last of them."
        )
    elif embedded:
        stopped.append("the embedded PostgreSQL")
    listed = ", ".join(stopped[:-1]) + f" and {stopped[-1]}" if len(stopped) > 1 else stopped[0]
    lines.insert(0, f"Shoal stopped: {listed}.")
    if agent:
        label = _node_label(settings)
        lines += [
            "Deployment containers keep running, by design: they go on serving, and the next "
            "`shoal up` takes them over. To remove them and their networks:",
            f"  docker rm -f $(docker ps -aq --filter label={label})",
            f"  docker network rm $(docker network ls -q --filter label={label})",
        ]
    return "\n".join(lines)


def _node_label(settings: Settings) -> str:
    """The label the local agent puts on everything it runs (agent.runtime.LABEL_NODE)."""
    try:
        agent_id = (settings.data_path / "agent" / "agent-id").read_text().strip()
    except OSError:
        return "shoal.node"
    return f"shoal.node={agent_id}" if agent_id else "shoal.node"
