"""Run one plugin step (DESIGN §6): `docker run --rm -i` semantics, one JSON document on stdin,
one JSON object on stdout, stderr streamed live as log events and kept (masked, bounded) in the
caller's StepLog for the control plane, exit 0 = success, a timeout."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Literal

import msgspec
from msgspec import Struct

from agent.engine import Engine
from agent.plan import NodeLimits
from agent.protocol import DataActionName, DeploymentSpec, LogLine, PluginNode
from agent.runtime.attach import STDOUT_LIMIT, StderrLines
from agent.step_log import StepLog

ERROR_TAIL_LINES = 5


# apply and rollback run in a deployment's pipeline; the others are data actions (data_actions.py)
PluginAction = Literal["apply", "rollback"] | DataActionName


class PluginFailed(Exception):
    pass


def plugin_document(
    spec: DeploymentSpec,
    action: PluginAction,
    params: dict[str, Any],
    inputs: dict[str, dict[str, Any]],
    data: dict[str, Any] | None = None,
) -> bytes:
    extra = {"data": data} if data else {}  # a data action's argument: the checkpoint's name
    return msgspec.json.encode(
        {
            **extra,
            "action": action,
            "deployment": {
                "id": spec.id,
                "name": spec.name,
                "environment": spec.environment,
                "pipeline_version": spec.pipeline_version,
                "urls": spec.urls,
            },
            "params": params,
            "secrets": spec.secrets,
            "inputs": inputs,
        }
    )


async def run_plugin(
    engine: Engine,
    emit: Callable[[Struct], None],
    spec: DeploymentSpec,
    node: PluginNode,
    action: PluginAction,
    document: bytes,
    limits: NodeLimits,
    network: str | None,
    log: StepLog | None = None,
    stdin_ready: threading.Event | None = None,
    mounts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return the plugin's outputs; raise PluginFailed with a readable reason. `log` receives
    the run's stderr (it masks what it knows to be secret; the live lines are masked alike).
    With `stdin_ready`, the document goes to the started plugin once that event is set."""
    loop = asyncio.get_running_loop()
    log = log if log is not None else StepLog(spec.secrets.values())

    def on_stderr(line: str) -> None:
        line = log.mask(line)
        event = LogLine(deployment_id=spec.id, step=node.id, line=line, source="stderr")
        loop.call_soon_threadsafe(emit, event)

    cancelled = threading.Event()
    work = asyncio.ensure_future(
        engine.run_plugin(
            deployment_id=spec.id,
            step=node.id,
            action=action,
            image=node.image,
            network=network if node.config.join_network else None,
            cpu=limits.cpu,
            memory_mb=limits.memory_mb,
            stdin_document=document,
            timeout_s=node.config.timeout_s,
            stderr=StderrLines(on_stderr, log.keep),
            cancelled=cancelled,
            stdin_ready=stdin_ready,
            mounts=mounts,
        )
    )
    try:
        result = await asyncio.shield(work)
    except asyncio.CancelledError:
        cancelled.set()  # kills the container; wait so rollback never races the dying step
        await asyncio.wait([work], timeout=30)
        raise
    last_lines = "; ".join(log.last(ERROR_TAIL_LINES))
    if result.timed_out:
        raise PluginFailed(f"plugin {node.id} timed out after {node.config.timeout_s:g} s")
    if result.exit_code != 0:
        reported = reported_error(result.stdout)
        detail = f": {log.mask(reported) or last_lines}" if (reported or last_lines) else ""
        raise PluginFailed(f"plugin {node.id} exited with code {result.exit_code}{detail}")
    if result.stdout_truncated:
        raise PluginFailed(f"plugin {node.id} printed more than {STDOUT_LIMIT} bytes on stdout")
    return parse_stdout(node.id, result.stdout)


def reported_error(stdout: bytes) -> str:
    """The message of an SDK-style `{"error": {"type", "message"}}` document, if one was printed."""
    try:
        document = msgspec.json.decode(stdout)
        error = document["error"]
        return f"{error.get('type', 'error')}: {error['message']}"
    except (msgspec.DecodeError, KeyError, TypeError, AttributeError):
        return ""


def parse_stdout(step: str, stdout: bytes) -> dict[str, Any]:
    if not stdout.strip():
        return {}
    try:
        document = msgspec.json.decode(stdout)
    except msgspec.DecodeError:
        preview = stdout[:200].decode(errors="replace")
        raise PluginFailed(f"plugin {step} printed invalid JSON on stdout: {preview!r}") from None
    if not isinstance(document, dict):
        raise PluginFailed(f"plugin {step} must print a JSON object, not {type(document).__name__}")
    outputs = document.get("outputs", {})
    if not isinstance(outputs, dict):
        raise PluginFailed(f"plugin {step}: 'outputs' must be an object")
    return outputs
