"""A deployment's state as this node reports it, and the one place that changes its status:
persisted in the store, then told to the control plane as a `deployment_status` event."""

from __future__ import annotations

from agent.parts import Parts
from agent.protocol import DeploymentState, DeploymentStatus, StepState
from agent.store import DeploymentRecord


def state(parts: Parts, deployment_id: int) -> DeploymentState:
    record = parts.store.get(deployment_id)
    if record is None:
        return DeploymentState(deployment_id=deployment_id, status="deleted", pipeline_version=0)
    return state_of(parts, record)


def states(parts: Parts) -> list[DeploymentState]:
    return [state_of(parts, record) for record in parts.store.all()]


def state_of(parts: Parts, record: DeploymentRecord) -> DeploymentState:
    steps = [
        StepState(step=s.step, status=s.status, error=s.error, outputs=s.outputs)  # type: ignore[arg-type]
        for s in parts.store.steps(record.spec.id)
    ]
    return DeploymentState(
        deployment_id=record.spec.id,
        status=record.status,  # type: ignore[arg-type]
        pipeline_version=record.spec.pipeline_version,
        error=record.error,
        ports=record.ports,
        publish_address=parts.config.publish_address,
        steps=steps,
    )


def move(
    parts: Parts,
    deployment_id: int,
    status: str,
    error: str = "",
    ports: dict[str, int] | None = None,
    *,
    retry_on_sync: bool = False,
    announce: bool = True,
) -> None:
    """Set the status; `announce=False` keeps it from the control plane (an interrupted run
    rolled back after a restart: the next sync deploys it again, nobody needs to see 'failed')."""
    parts.store.set_status(deployment_id, status, error, ports, retry_on_sync=retry_on_sync)
    if announce:
        report(parts, deployment_id)


def report(parts: Parts, deployment_id: int) -> None:
    """Tell the control plane the deployment's current status (`deleted` once it is gone)."""
    current = state(parts, deployment_id)
    parts.emit(
        DeploymentStatus(
            deployment_id=deployment_id,
            status=current.status,
            error=current.error,
            ports=current.ports,
            publish_address=current.publish_address,
        )
    )
