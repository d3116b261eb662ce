"""One-shot commands in a running deployment's service (`POST …/services/{node}/exec`): full
access only, audited (who, which service, the command, its exit code; never the environment),
run by the node's agent through the hub, output bounded and handed back as text when it is
UTF-8, as base64 otherwise.

A command is an argv list, run as is, or a string, run by `sh -c` in the container.
"""

from __future__ import annotations

import base64
import codecs
import shlex
from typing import Annotated, Literal

import msgspec

from agent import protocol as p
from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain.access import Level
from core.errors import Conflict, Forbidden, InvalidInput
from core.fields import Between
from core.hub import AgentNotFound, get_hub
from core.services.audit import Target, audited
from core.services.deployments import DeploymentView, get_deployment
from core.tables import Environment, PipelineVersion

MAX_COMMAND_CHARS = 16 * 1024
AUDITED_COMMAND_CHARS = 500
Encoding = Literal["utf-8", "base64"]


class ExecInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    command: list[str] | str
    """argv (run as is) or one string (run by `sh -c`)."""
    timeout: Annotated[float, Between(1, p.EXEC_TIMEOUT_MAX_S)] = 60.0
    """Seconds the command may run; then it is left (Docker cannot kill an exec) and
    `timed_out` is true."""


class ExecView(msgspec.Struct, kw_only=True):
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_encoding: Encoding
    stderr_encoding: Encoding
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    duration_s: float


def argv_of(command: list[str] | str) -> list[str]:
    argv = ["sh", "-c", command] if isinstance(command, str) else list(command)
    if not argv or not argv[0].strip() or (isinstance(command, str) and not command.strip()):
        raise InvalidInput("The command is empty.", "command")
    if sum(len(arg) for arg in argv) > MAX_COMMAND_CHARS:
        raise InvalidInput(f"The command is longer than {MAX_COMMAND_CHARS} characters.", "command")
    if any("\x00" in arg for arg in argv):
        raise InvalidInput("The command contains a NUL character.", "command")
    return argv


def as_text(data: bytes, truncated: bool) -> tuple[str, Encoding]:
    """UTF-8 text when it is (a character cut by the byte limit is left out), else base64."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=not truncated), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"


async def _service_nodes(dep: DeploymentView) -> set[str]:
    # DeploymentView.pipeline_version is the project's version number, not the row id
    row = (
        await PipelineVersion.select(PipelineVersion.graph)
        .where(
            (PipelineVersion.project == dep.project_id)
            & (PipelineVersion.version == dep.pipeline_version)
        )
        .output(load_json=True)
        .first()
        .run()
    )
    graph = graphs.decode(row["graph"]) if row else graphs.decode({"nodes": [], "edges": []})
    return {node.id for node in graph.nodes if node.kind == "service"}


async def running_service(dep: DeploymentView, service: str) -> int:
    """The node that runs the deployment's `service`; refused unless it runs now."""
    if service not in await _service_nodes(dep):
        raise InvalidInput(f"The deployment has no service {service!r}.", "service")
    switch = Environment.select(Environment.terminals).where(Environment.id == dep.environment_id)
    row = await switch.first().run()
    if row is not None and not row["terminals"]:
        raise Forbidden("Terminals and commands are turned off for this environment.")
    if dep.status != "running" or dep.node_id is None:
        hint = " Wake it first." if dep.status == "sleeping" else ""
        raise Conflict(f"The deployment is {dep.status}, not running: nothing to run in.{hint}")
    return dep.node_id


async def run_exec(actor: Actor, deployment_id: int, service: str, data: ExecInput) -> ExecView:
    target = Target(type="deployment", id=deployment_id)
    async with audited(actor, "deployment.exec", target) as audit:
        dep = await get_deployment(actor, deployment_id, Level.FULL)
        audit.target = Target(
            type="deployment",
            id=dep.id,
            name=dep.name,
            project_id=dep.project_id,
            environment_id=dep.environment_id,
        )
        argv = argv_of(data.command)
        if not 1 <= data.timeout <= p.EXEC_TIMEOUT_MAX_S:
            raise InvalidInput(
                f"The timeout is from 1 to {p.EXEC_TIMEOUT_MAX_S:g} seconds.", "timeout"
            )
        shown = shlex.join(argv)[:AUDITED_COMMAND_CHARS]
        audit.detail = f"{service}: {shown}"
        node_id = await running_service(dep, service)
        try:
            result = await get_hub().ask(
                node_id,
                p.Exec(
                    id=0,
                    deployment_id=dep.id,
                    step=service,
                    command=argv,
                    timeout_s=data.timeout,
                ),
            )
        except AgentNotFound as error:
            raise Conflict(f"The service {service!r} is not running ({error.detail}).") from None
        outcome = "timed out" if result.timed_out else f"exit {result.exit_code}"
        audit.detail = f"{service}: {shown} → {outcome}"
    stdout, stdout_encoding = as_text(result.stdout, result.stdout_truncated)
    stderr, stderr_encoding = as_text(result.stderr, result.stderr_truncated)
    return ExecView(
        exit_code=result.exit_code,
        stdout=stdout,
        stderr=stderr,
        stdout_encoding=stdout_encoding,
        stderr_encoding=stderr_encoding,
        stdout_truncated=result.stdout_truncated,
        stderr_truncated=result.stderr_truncated,
        timed_out=result.timed_out,
        duration_s=result.duration_s,
    )
