"""Interactive terminals into a running service: who may open one (full access to the
deployment, every refusal audited before anything runs), and the audit entries of each
session's start and end. The session itself is web.terminal's; the wire is the hub's."""

from __future__ import annotations

import re
import secrets

from agent import protocol as p
from core.actor import Actor
from core.domain.access import Level
from core.errors import InvalidInput
from core.services.audit import Target, audited, record
from core.services.deployments import get_deployment
from core.services.execs import running_service

IDLE_CLOSE_S = 15 * 60
SHELL = re.compile(r"/?[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*")


def check_shell(shell: str) -> str:
    """ "" (bash, else sh) or one program path, e.g. `zsh` or `/bin/ash`; no arguments."""
    if shell and (len(shell) > 128 or not SHELL.fullmatch(shell)):
        raise InvalidInput("A shell is one program, e.g. bash or /bin/ash.", "shell")
    return shell


async def open_request(
    actor: Actor, deployment_id: int, service: str, shell: str, cols: int, rows: int
) -> tuple[int, p.TerminalOpen, Target]:
    """(node id, the TerminalOpen to send, the audit target), or the refusal (audited)."""
    async with audited(actor, "terminal.start", Target("deployment", deployment_id)) as audit:
        dep = await get_deployment(actor, deployment_id, Level.FULL)
        audit.target = Target("deployment", dep.id, dep.name, dep.project_id, dep.environment_id)
        audit.detail = f"{service}: {shell or 'auto shell'}"
        check_shell(shell)
        node_id = await running_service(dep, service)
        request = p.TerminalOpen(
            id=0,
            terminal=secrets.token_hex(12),
            deployment_id=dep.id,
            step=service,
            shell=shell,
            cols=min(max(cols, 1), 1000),
            rows=min(max(rows, 1), 1000),
        )
    return node_id, request, audit.target


async def ended(actor: Actor, target: Target, service: str, seconds: float, why: str) -> None:
    await record(actor, "terminal.end", target, detail=f"{service}: {why} after {seconds:.0f} s")
