"""Data actions (protocol/data.py): run a succeeded plugin step's plugin once more with
`checkpoint`, `reset`, `drop_checkpoint` or `usage`, with exactly the params its apply got.

For a checkpoint or a reset the services downstream of the step (those that use what it made)
are stopped first, so no client writes during the copy, and started again afterwards, whether
the plugin succeeded or not, each waited for until healthy as a wake does. The plugin's
container starts while they stop: it gets its stdin (and so begins) only once they stopped.
The caller holds the deployment's lock (work.py), so a sleep, wake or delete never runs
meanwhile."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from agent.health import wait_healthy
from agent.parts import Parts
from agent.plan import (
    DEFAULT_PLUGIN_CPU,
    DEFAULT_PLUGIN_MEMORY_MB,
    NodeLimits,
    layers,
    predecessors,
)
from agent.plugins import PluginFailed, plugin_document, run_plugin
from agent.protocol import (
    SWAPPING,
    DataAction,
    DataResult,
    DeploymentSpec,
    ErrorReply,
    HealthCheck,
    PluginNode,
    ServiceNode,
)
from agent.protocol.redaction import secret_texts
from agent.references import UnresolvedReference, resolve, scope_for
from agent.runtime import APIError, DockerUnavailable
from agent.step_log import StepLog

log = logging.getLogger(__name__)


def dependents(spec: DeploymentSpec, step: str) -> list[ServiceNode]:
    """The services downstream of `step`, in the spec's order."""
    found, todo = set(), [step]
    while todo:
        current = todo.pop()
        for edge in spec.edges:
            if edge.source == current and edge.target not in found:
                found.add(edge.target)
                todo.append(edge.target)
    return [n for n in spec.nodes if isinstance(n, ServiceNode) and n.id in found]


@dataclass
class Started:
    """A data action's plugin run, started, that gets its stdin once `ready` is set."""

    checkpoint: str
    ready: threading.Event
    task: asyncio.Future
    step_log: StepLog


def start_run(parts: Parts, request: DataAction) -> Started | ErrorReply:
    """Check the request and start its plugin (its container starts, its stdin waits)."""
    found = _checked(parts, request)
    if isinstance(found, ErrorReply):
        return found
    _record, spec, node, outputs = found
    hidden = [*spec.secrets.values()]
    for node_id, values in outputs.items():
        owner = next((n for n in spec.nodes if n.id == node_id), None)
        if isinstance(owner, PluginNode):
            hidden.extend(secret_texts(values, owner.config.secret_outputs))
    step_log, ready = StepLog(hidden), threading.Event()
    task = asyncio.ensure_future(_run(parts, spec, node, request, outputs, step_log, ready))
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # failures: awaited
    return Started(request.checkpoint, ready, task, step_log)


def _checked(
    parts: Parts, request: DataAction
) -> tuple[Any, DeploymentSpec, PluginNode, dict[str, dict[str, Any]]] | ErrorReply:
    record = parts.store.get(request.deployment_id)
    if record is None or record.status == "deleted":
        return _refused(request, "not_found", f"no deployment {request.deployment_id} here")
    if record.status != "running":
        return _refused(request, "invalid", f"the deployment is {record.status}, not running")
    spec = parts.memory.complete(record.spec)
    node = next((n for n in spec.nodes if n.id == request.step), None)
    steps = {s.step: s for s in parts.store.steps(spec.id)}
    if not isinstance(node, PluginNode) or request.step not in steps:
        return _refused(request, "not_found", f"the deployment has no plugin step {request.step!r}")
    if steps[request.step].status != "succeeded":
        return _refused(request, "invalid", f"the step {request.step!r} has not succeeded")
    outputs = {s.step: s.outputs for s in steps.values() if s.status == "succeeded"}
    outputs.update(parts.memory.outputs(spec.id))  # the real values over the disk's copy
    return record, spec, node, outputs


async def run_data_action(
    parts: Parts, request: DataAction, held: Started | None = None
) -> DataResult | ErrorReply:
    """`held`: this reset's plugin, started ahead of time (held_resets.py)."""
    started = time.monotonic()
    found = _checked(parts, request)
    if isinstance(found, ErrorReply):
        if held is not None:
            await _abandon(held.task)
        return found
    record, spec, node, _outputs = found
    run = held if held is not None else start_run(parts, request)
    if isinstance(run, ErrorReply):  # checked just above: not expected
        return run
    step_log, ready, plugin = run.step_log, run.ready, run.task
    stop = dependents(spec, node.id) if request.action in SWAPPING else []
    stopped: dict[str, str] = {}  # step → container id
    error, result = "", {}
    marks: list[float] = []
    try:
        try:
            stopped = await _stop(parts, spec.id, stop)
            marks.append(time.monotonic())
        except BaseException:
            await _abandon(plugin)
            raise
        ready.set()
        result = await plugin
        marks.append(time.monotonic())
    except (PluginFailed, UnresolvedReference, APIError, DockerUnavailable, OSError) as failure:
        error = str(failure)
        log.warning("deployment %s: %s %s failed: %s", spec.id, request.action, node.id, error)
    finally:
        restart_error = await _start(parts, record.ports, stop, stopped, spec)
    if len(marks) == 2:  # where a swap's time went, for whoever tunes it
        log.info(
            "deployment %s: %s of %s took %.2f s: services stopped %.2f s, plugin %.2f s,"
            " services started %.2f s",
            spec.id,
            request.action,
            node.id,
            time.monotonic() - started,
            marks[0] - started,
            marks[1] - marks[0],
            time.monotonic() - marks[1],
        )
    if restart_error:
        error = f"{error}; {restart_error}" if error else restart_error
    return DataResult(
        id=request.id,
        ok=not error,
        outputs=result,
        error=error,
        log=step_log.text(),
        duration_s=round(time.monotonic() - started, 3),
        stopped=list(stopped),
    )


async def _run(
    parts: Parts,
    spec: DeploymentSpec,
    node: PluginNode,
    request: DataAction,
    outputs: dict[str, dict[str, Any]],
    step_log: StepLog,
    ready: threading.Event,
) -> dict[str, Any]:
    applied = parts.memory.applied(spec.id, node.id)
    if applied is not None:
        params, inputs = applied.params, applied.inputs
    else:  # an agent restarted since the run: resolved again from the real outputs
        params = resolve(node.config.params, scope_for(spec, outputs))
        inputs = {pred: outputs.get(pred, {}) for pred in predecessors(spec, node.id)}
    data = {"checkpoint": request.checkpoint} if request.checkpoint else {}
    document = plugin_document(spec, request.action, params, inputs, data)
    limits = NodeLimits(
        min(node.config.cpu or DEFAULT_PLUGIN_CPU, spec.limits.cpu),
        min(node.config.memory_mb or DEFAULT_PLUGIN_MEMORY_MB, spec.limits.memory_mb),
    )
    network = parts.engine.network_name(spec.id)
    return await run_plugin(
        parts.engine,
        parts.emit,
        spec,
        node,
        request.action,
        document,
        limits,
        network,
        step_log,
        stdin_ready=ready,
    )


async def _abandon(plugin: asyncio.Future) -> None:
    """Cancel a plugin run whose services could not be stopped (its container is killed)."""
    plugin.cancel()
    await asyncio.wait([plugin])
    if not plugin.cancelled():
        plugin.exception()  # retrieved: it failed before the cancel, and the stop's error wins


async def _stop(parts: Parts, deployment_id: int, services: list[ServiceNode]) -> dict[str, str]:
    """The services stopped: step → container id (kept, so starting them asks Docker less)."""
    if not services:
        return {}
    names = {n.id for n in services}
    running = [
        c
        for c in await parts.engine.list_own(deployment_id)
        if c.step in names and c.state == "running"
    ]
    if running:
        log.info("deployment %s: stopping %s", deployment_id, ", ".join(c.step for c in running))
        await parts.engine.stop_containers([c.id for c in running])
    return {c.step: c.id for c in running}


async def _start(
    parts: Parts,
    ports: dict[str, int],
    services: list[ServiceNode],
    stopped: dict[str, str],
    spec: DeploymentSpec,
) -> str:
    """Start again what was stopped, as a wake does: a layer's services at once, each layer
    after the one it needs, each waited for until healthy; the first failure, or ""."""
    engine = parts.engine
    wanted = {n.id for n in services if n.id in stopped}
    if not wanted:
        return ""

    async def up(node: ServiceNode, container_id: str) -> None:
        await engine.start_existing(container_id)
        host_port = ports.get(node.id)
        if node.config.port and host_port:
            await wait_healthy(
                parts.config.health_host,
                host_port,
                node.config.health_check or HealthCheck(),
                lambda: engine.exited(spec.id, node.id),
            )

    try:
        for layer in layers(spec):
            await asyncio.gather(
                *(
                    up(node, stopped[node.id])
                    for node in layer
                    if isinstance(node, ServiceNode) and node.id in wanted
                )
            )
    except Exception as failure:  # reconcile's repair starts them once it can
        log.warning("deployment %s: could not start its services again: %s", spec.id, failure)
        return f"starting the services again failed: {failure}"
    return ""


def _refused(request: DataAction, code: Any, message: str) -> ErrorReply:
    return ErrorReply(id=request.id, code=code, message=message)
