"""One-shot commands in a deployment's service container for `exec` requests: find the running
container of the step, run the command there (runtime/execs.py via the Engine), answer with
its exit code and bounded output."""

from __future__ import annotations

from agent.engine import Engine
from agent.protocol import EXEC_TIMEOUT_MAX_S, ErrorReply, Exec, ExecResult


class Execs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, request: Exec) -> ExecResult | ErrorReply:
        if not request.command or request.limit_bytes < 0:
            return ErrorReply(id=request.id, code="invalid", message="an empty command")
        containers = await self.engine.list_own(request.deployment_id)
        found = [c for c in containers if c.step == request.step]
        if not found:
            return ErrorReply(
                id=request.id,
                code="not_found",
                message=f"deployment {request.deployment_id} has no container for {request.step!r}",
            )
        if found[0].state != "running":
            return ErrorReply(
                id=request.id,
                code="not_found",
                message=f"the container of {request.step!r} is {found[0].state}, not running",
            )
        timeout_s = min(max(request.timeout_s, 0.1), EXEC_TIMEOUT_MAX_S)
        output = await self.engine.exec_run(
            found[0].id, request.command, timeout_s, request.limit_bytes
        )
        return ExecResult(
            id=request.id,
            exit_code=output.exit_code,
            stdout=bytes(output.stdout),
            stderr=bytes(output.stderr),
            stdout_truncated=output.stdout_truncated,
            stderr_truncated=output.stderr_truncated,
            timed_out=output.timed_out,
            duration_s=output.duration_s,
        )
