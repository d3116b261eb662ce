"""Agent events → database rows → live events (core.events) for the SSE pages.

Each function is small and takes the node id the event came from: an agent may only change
deployments placed on it, and never brings back one already deleted.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from agent import protocol as p
from core import events
from core.hub.ownership import Ownership
from core.hub.plugin_reports import record_plugin_images
from core.hub.usage_samples import UsageSamples
from core.notifications import outbox
from core.services import activity, lifecycle, step_logs, step_outputs
from core.tables import Deployment, Node, NodeSample, PipelineRun, PipelineStep

log = logging.getLogger("shoal.hub")

# Deployments in these states are shown `offline` while their node is.
# A sleeping one stays sleeping: nothing of it runs, and waking it needs its node anyway.
LIVE_STATUSES = ("deploying", "running", "waking")
SAMPLE_WINDOW = datetime.timedelta(hours=1)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def request_ingress_sync() -> None:
    try:
        from core import ingress
    except ImportError:  # the ingress is optional
        return
    ingress.request_sync()


def usage_of(metrics: p.NodeMetrics) -> dict[str, Any]:
    """The numbers the node page and the scheduler read (CPU in cores, memory in MB)."""
    capacity = metrics.capacity
    cpu_used = capacity.cpus * metrics.cpu_busy_percent / 100
    shoal_cpu = sum(d.cpu_percent for d in metrics.deployments.values()) / 100
    return {
        "cpu_used": round(cpu_used, 3),
        "cpu_outside": round(max(cpu_used - shoal_cpu, 0.0), 3),  # other work on the host
        "cpu_busy_percent": round(metrics.cpu_busy_percent, 1),  # as the agent names it
        "memory_used_mb": max(capacity.memory_mb - metrics.memory_available_mb, 0),
        "memory_available_mb": metrics.memory_available_mb,
        "cpu_allocated": metrics.allocated.cpu,
        "memory_allocated_mb": metrics.allocated.memory_mb,
        "disk_total_mb": metrics.disk_total_mb,
        "disk_free_mb": metrics.disk_free_mb,
        "docker_version": metrics.docker_version,
        "containers": sum(d.containers for d in metrics.deployments.values()),
    }


async def publish_node(node_id: int, environment_id: int | None, kind: str, **data: Any) -> None:
    await events.publish(f"node:{node_id}", kind=kind, node_id=node_id, **data)
    if environment_id is not None:
        await events.publish(f"environment:{environment_id}", kind=kind, node_id=node_id, **data)


# One chart point per SAMPLE_EVERY and one trim per TRIM_EVERY per node: a heartbeat every few
# seconds from a thousand nodes must not mean thousands of inserts and deletes a second.
SAMPLE_EVERY = datetime.timedelta(seconds=15)
TRIM_EVERY = datetime.timedelta(minutes=1)
_last_sample: dict[int, datetime.datetime] = {}
_last_trim: dict[int, datetime.datetime] = {}
_service_samples = UsageSamples()  # each service's own chart, on the deployment page


def forget_node(node_id: int) -> None:
    """A (re)connected node starts its chart sampling afresh."""
    _last_sample.pop(node_id, None)
    _last_trim.pop(node_id, None)


async def record_heartbeat(node_id: int, metrics: p.NodeMetrics) -> None:
    """The node row on every beat (the scheduler reads it); a chart sample now and then; the
    node's topic only (badges on environment pages change with the status, not with beats)."""
    usage = usage_of(metrics)
    capacity = {"cpus": metrics.capacity.cpus, "memory_mb": metrics.capacity.memory_mb}
    now = _now()
    rows = (
        await Node.update(
            {
                Node.usage: usage,
                Node.capacity: capacity,
                Node.docker_status: metrics.docker,
                Node.last_heartbeat_at: now,
            }
        )
        .where(Node.id == node_id)
        .returning(Node.status)
        .run()
    )
    if not rows:
        return
    traffic = {d: u.net_bytes for d, u in metrics.deployments.items() if u.net_bytes is not None}
    await activity.record_net_bytes(node_id, traffic, now)
    if now - _last_sample.get(node_id, now - SAMPLE_EVERY) >= SAMPLE_EVERY:
        _last_sample[node_id] = now
        sample = NodeSample(
            node=node_id,
            at=now,
            cpu_used=usage["cpu_used"],
            cpu_outside=usage["cpu_outside"],
            memory_used_mb=usage["memory_used_mb"],
            cpu_allocated=usage["cpu_allocated"],
            memory_allocated_mb=usage["memory_allocated_mb"],
        )
        await NodeSample.insert(sample).run()
        await _service_samples.record(node_id, metrics, now)
    if now - _last_trim.get(node_id, now - TRIM_EVERY) >= TRIM_EVERY:
        _last_trim[node_id] = now
        old = (NodeSample.node == node_id) & (NodeSample.at < now - SAMPLE_WINDOW)
        await NodeSample.delete().where(old).run()
        await _service_samples.trim(now)
    await publish_node(node_id, None, "heartbeat", status=rows[0]["status"], docker=metrics.docker)


_ownership = Ownership()


async def _owned(node_id: int, deployment_id: int) -> bool:
    return await _ownership.holds(node_id, deployment_id)


async def _latest_run(deployment_id: int) -> int:
    row = (
        await PipelineRun.select(PipelineRun.id)
        .where(PipelineRun.deployment == deployment_id)
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    if row is not None:
        return row["id"]
    created = await PipelineRun.insert(
        PipelineRun(deployment=deployment_id, action="deploy", status="running")
    ).run()
    return created[0]["id"]


def step_status(event: p.StepStarted | p.StepFinished) -> str:
    rollback = event.action == "rollback"
    if isinstance(event, p.StepStarted):
        return "rolling_back" if rollback else "running"
    if rollback:
        return "rolled_back" if event.ok else "rollback_failed"
    return "succeeded" if event.ok else "failed"


async def record_step(node_id: int, event: p.StepStarted | p.StepFinished) -> None:
    if not await _owned(node_id, event.deployment_id):
        log.info(
            "node %s reported a step of deployment %s it does not hold",
            node_id,
            event.deployment_id,
        )
        return
    run_id = await _latest_run(event.deployment_id)
    status, now = step_status(event), _now()
    values: dict[Any, Any] = {PipelineStep.status: status}
    if isinstance(event, p.StepStarted):
        values[PipelineStep.started_at] = now
    else:
        values.update({PipelineStep.finished_at: now, PipelineStep.error: event.error})
        if event.action == "apply":
            # Never stored in clear when they hold a secret: a masked copy and a sealed one.
            shown, sealed = await step_outputs.protect(
                event.deployment_id, run_id, event.step, event.outputs
            )
            values[PipelineStep.outputs] = shown
            values[PipelineStep.sealed_outputs] = sealed
        if event.log:  # a plugin's stderr, kept with the step (masked, bounded)
            values[PipelineStep.log] = await step_logs.kept_log(
                event.deployment_id, run_id, event.step, event.action, event.log, event.outputs
            )
    where = (PipelineStep.run == run_id) & (PipelineStep.node_id == event.step)
    updated = await PipelineStep.update(values).where(where).returning(PipelineStep.id).run()
    if not updated:
        fields = {column._meta.name: value for column, value in values.items()}
        await PipelineStep.insert(
            PipelineStep(run=run_id, node_id=event.step, kind="", **fields)
        ).run()
    error = getattr(event, "error", "")
    await events.publish(
        f"deployment:{event.deployment_id}",
        kind="step",
        step=event.step,
        action=event.action,
        status=status,
        error=error,
    )


async def record_status(
    node_id: int, deployment_id: int, status: str, error: str = "", ports: dict | None = None
) -> bool:
    """Move a deployment to what its agent says it is; False when it is not this node's, or
    the lifecycle does not allow it (a late report never brings back a deleted deployment,
    nor a running one that is being deleted)."""
    values = {Deployment.ports: ports} if ports is not None and status != "deleted" else {}
    return await lifecycle.move(deployment_id, status, error=error, node_id=node_id, values=values)


async def record_states(node_id: int, states: list[p.DeploymentState]) -> None:
    """After a Sync: every deployment back to what the agent actually has."""
    for state in states:
        await record_status(node_id, state.deployment_id, state.status, state.error, state.ports)


async def mark_node_offline(node_id: int, status: str, error: str) -> None:
    """The node is not connected: its live deployments become `offline`, routes go."""
    error = error[:2000]
    before = await Node.select(Node.status).where(Node.id == node_id).first().run()
    changed = (Node.status != status) | (Node.last_error != error)
    rows = (
        await Node.update({Node.status: status, Node.last_error: error})
        .where((Node.id == node_id) & changed)
        .returning(Node.environment)
        .run()
    )
    if not rows:  # no such node, or nothing new to say (a retry failing the same way)
        return
    await lifecycle.move_node_deployments(node_id, "offline", list(LIVE_STATUSES))
    await publish_node(node_id, rows[0]["environment"], "status", status=status, error=error)
    was_online = (before or {}).get("status") == "online"
    await outbox.node_went_offline(node_id, was_online, error)
    request_ingress_sync()


async def dispatch(node_id: int, event: Any) -> None:
    if isinstance(event, p.Heartbeat):
        await record_heartbeat(node_id, event.metrics)
    elif isinstance(event, (p.StepStarted, p.StepFinished)):
        await record_step(node_id, event)
    elif isinstance(event, p.DeploymentStatus):
        await record_status(node_id, event.deployment_id, event.status, event.error, event.ports)
    elif isinstance(event, p.PluginImages):
        await record_plugin_images(node_id, event)
    elif isinstance(event, (p.PullProgress, p.LogLine)) and not await _owned(
        node_id, event.deployment_id
    ):
        log.info("node %s sent an event of deployment %s it does not hold", node_id,
                 event.deployment_id)  # fmt: skip
    elif isinstance(event, p.PullProgress):
        await events.publish(
            f"deployment:{event.deployment_id}", kind="pull", image=event.image, status=event.status
        )
    elif isinstance(event, p.LogLine) and event.stream_id is None:
        await events.publish(
            f"deployment:{event.deployment_id}", kind="log", step=event.step, line=event.line
        )
