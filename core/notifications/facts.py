"""What a message says about one event, gathered once at fan-out: the deployment's name,
project, environment, who, what happened, its URLs and page, the failed step and its error.
Every text that could carry a project secret (an error a plugin printed) is masked."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from core import runtime
from core.actor import Actor
from core.domain.notifications import KINDS
from core.errors import ShoalError
from core.services import deployments, secrets
from core.services.deployments import DeploymentView
from core.tables import AuditEvent, Deployment, Node, PipelineStep

log = logging.getLogger("shoal.notifications")
MASK = "••••"


class Facts(msgspec.Struct, kw_only=True):
    """The documented event body of generic webhooks (docs/notifications.md)."""

    event_id: str
    kind: str
    title: str
    at: str
    deployment: dict[str, Any] | None = None
    node: dict[str, Any] | None = None
    who: str = ""
    urls: dict[str, str] = {}
    link: str = ""
    step: str = ""
    error: str = ""
    expires_at: str = ""
    extend_link: str = ""
    minutes_left: int | None = None


async def gather(
    event: dict[str, Any], preloaded: tuple[DeploymentView, Any] | None = None
) -> tuple[Facts, dict[str, Any]]:
    """(facts, routing) for an outbox row; routing says which channels may hear it.
    `preloaded`: its deployment's view and creator, read with the rest of a batch."""
    facts = Facts(
        event_id=event["key"],
        kind=event["kind"],
        title=KINDS[event["kind"]].title,
        at=event["at"].isoformat(),
    )
    data = event.get("data") or {}
    if event.get("node_id") is not None:
        return await _node(facts, event["node_id"], data)
    return await _deployment(facts, event["deployment_id"], data, preloaded)


async def _deployment(
    facts: Facts,
    deployment_id: int,
    data: dict[str, Any],
    preloaded: tuple[DeploymentView, Any] | None,
) -> tuple[Facts, dict[str, Any]]:
    if preloaded is not None:
        view, created_by = preloaded
    else:
        view = await deployments.get_deployment(Actor.system("notifications"), deployment_id)
        row = await (
            Deployment.select(Deployment.created_by)
            .where(Deployment.id == deployment_id)
            .first()
            .run()
        )
        created_by = (row or {}).get("created_by")
    base = runtime.settings().effective_public_url
    facts.deployment = {
        "id": view.id,
        "name": view.name,
        "status": view.status,
        "project": view.project_name,
        "environment": view.environment_name,
        "created_by": view.created_by or "",
    }
    facts.urls = dict(view.urls) if facts.kind != "deleted" else {}
    facts.link = f"{base}/deployments/{view.id}"
    facts.who = view.created_by or ""
    if facts.kind == "deleted":
        facts.who = await _deleted_by(deployment_id)
    if facts.kind == "failed":
        facts.step, facts.error = await _failure(deployment_id, view.error)
    if facts.kind == "expiring" and view.expires_at is not None:
        facts.expires_at = view.expires_at.isoformat()
        facts.minutes_left = int(data.get("minutes_left", data.get("lead", 0)))
        facts.extend_link = data.get("extend_link", "")
    await _mask(facts, view.project_id)
    routing = {
        "environment": view.environment_id,
        "project": view.project_id,
        "user": created_by,
        "lead": data.get("lead"),
    }
    return facts, routing


async def _node(facts: Facts, node_id: int, data: dict[str, Any]) -> tuple[Facts, dict[str, Any]]:
    node = await (
        Node.select(Node.name, Node.host, Node.environment, Node.environment.name, Node.last_error)
        .where(Node.id == node_id)
        .first()
        .run()
    )
    if node is None:
        raise ShoalError("the node no longer exists")
    base = runtime.settings().effective_public_url
    facts.node = {
        "id": node_id,
        "name": node["name"],
        "host": node["host"],
        "environment": node["environment.name"],
    }
    facts.link = f"{base}/nodes/{node_id}"
    if facts.kind == "node_offline":
        facts.error = data.get("error") or node["last_error"]  # the reason when it went
    return facts, {"environment": node["environment"], "project": None, "user": None}


async def _deleted_by(deployment_id: int) -> str:
    audit = await (
        AuditEvent.select(AuditEvent.actor_name, AuditEvent.detail)
        .where(
            (AuditEvent.target_type == "deployment")
            & (AuditEvent.target_id == deployment_id)
            & AuditEvent.action.is_in(["deployment.delete", "deployment.cancel"])
            & (AuditEvent.outcome == "ok")
        )
        .order_by(AuditEvent.id, ascending=False)
        .first()
        .run()
    )
    if audit is None:
        return ""
    return "auto-cleanup" if audit["detail"] == "expired" else audit["actor_name"]


async def _failure(deployment_id: int, error: str) -> tuple[str, str]:
    step = await (
        PipelineStep.select(PipelineStep.node_id, PipelineStep.error)
        .where((PipelineStep.run.deployment == deployment_id) & (PipelineStep.status == "failed"))
        .order_by(PipelineStep.run, ascending=False)
        .order_by(PipelineStep.id, ascending=False)
        .first()
        .run()
    )
    if step is None:
        return "", error
    return step["node_id"], step["error"] or error


async def _mask(facts: Facts, project_id: int) -> None:
    if not facts.error and not facts.step:  # the rest is names and URLs Shoal made
        return
    try:
        values = [v for v in (await secrets.reveal_secrets(project_id)).values() if len(v) >= 3]
    except ShoalError:  # no master key in this process: nothing to compare with
        log.warning("project %s: secrets could not be read to mask a message", project_id)
        values = []
    for value in sorted(values, key=len, reverse=True):
        facts.error = facts.error.replace(value, MASK)
        facts.step = facts.step.replace(value, MASK)
