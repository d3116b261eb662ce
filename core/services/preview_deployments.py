"""The deployments behind previews, made and changed through the deployment services and the
lifecycle (never by writing a status): a held deployment (awaiting approval, or waiting for an
image) takes no node and runs nothing, so nothing — no secret either — reaches an agent before
it is released.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from core import runtime
from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain import status
from core.errors import Conflict
from core.services import deployment_actions, lifecycle
from core.services.deployment_inputs import check_tags, latest_pipeline
from core.services.deployments import DeploymentInput, create_deployment
from core.services.preview_locks import preview_lock as preview_lock  # callers' one import
from core.services.scheduling import choose_node_locked
from core.tables import Deployment, Environment, PipelineRun, Project

ACTOR = Actor.system("previews")
HELD = (status.AWAITING_APPROVAL, status.WAITING_FOR_IMAGE)
DELETE_WAIT_S = 180.0


async def create(
    project_id: int, environment_id: int, name: str, tags: dict[str, str], ttl_hours: int
) -> int:
    """A deployment that starts now (placed on a node, run by the job), expiring after TTL."""
    dep = await create_deployment(
        ACTOR,
        DeploymentInput(project_id=project_id, environment_id=environment_id, name=name, tags=tags),
    )
    await set_expiry(dep.id, ttl_hours)
    return dep.id


async def set_expiry(deployment_id: int, ttl_hours: int) -> None:
    expires = datetime.now(UTC) + timedelta(hours=ttl_hours)
    await (
        Deployment.update({Deployment.expires_at: expires})
        .where(Deployment.id == deployment_id)
        .run()
    )


async def create_held(
    project_id: int,
    environment_id: int,
    name: str,
    tags: dict[str, str],
    ttl_hours: int,
    state: str,
) -> int:
    """A deployment in `state` (awaiting approval / waiting for image): no node, no run yet.
    Tags are checked as for any deployment, so a bad one is refused now, not on release."""
    if state not in HELD:
        raise ValueError(state)
    version = await latest_pipeline(project_id)
    chosen = await check_tags(graphs.decode(version["graph"]), tags)
    project = await Project.select().where(Project.id == project_id).first().run()
    if not await Environment.exists().where(Environment.id == environment_id).run():
        raise Conflict("The preview rule's environment is gone.")
    try:
        row = (
            await Deployment.insert(
                Deployment(
                    project=project_id,
                    environment=environment_id,
                    pipeline_version=version["id"],
                    name=name,
                    status=state,
                    tags=chosen,
                    cpu=project["cpu"],
                    memory_mb=project["memory_mb"],
                    expires_at=datetime.now(UTC) + timedelta(hours=ttl_hours),
                )
            )
            .returning(Deployment.id)
            .run()
        )[0]
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"A deployment named '{name}' already exists there.", "name") from exc
    return row["id"]


async def retag_held(deployment_id: int, tags: dict[str, str]) -> None:
    """New tags for a deployment that has not run yet (a new push while it waits)."""
    row = (
        await Deployment.select(Deployment.project)
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    version = await latest_pipeline(row["project"])
    chosen = await check_tags(graphs.decode(version["graph"]), tags)
    await (
        Deployment.update({Deployment.tags: chosen, Deployment.pipeline_version: version["id"]})
        .where(Deployment.id == deployment_id)
        .run()
    )


async def release(deployment_id: int) -> bool:
    """Start a held deployment: place it on a node, move it to pending, run it. False when it
    was no longer held (deleted meanwhile). CapacityExceeded when no node has room."""
    row = (
        await Deployment.select(Deployment.environment, Deployment.cpu, Deployment.memory_mb)
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    if row is None:
        return False
    async with Deployment._meta.db.transaction():
        node_id = await choose_node_locked(row["environment"], row["cpu"], row["memory_mb"])
        if not await lifecycle.move(
            deployment_id, status.PENDING, error="", values={Deployment.node: node_id}
        ):
            return False
        await PipelineRun.insert(PipelineRun(deployment=deployment_id, action="deploy")).run()
    await runtime.queue().enqueue("run_deployment", deployment_id=deployment_id, timeout=0)
    return True


async def hold_failed(deployment_id: int, error: str) -> None:
    """A held deployment that cannot start (no room, image never came): failed, error shown."""
    await lifecycle.move(deployment_id, status.FAILED, error=error)


async def remove(deployment_id: int, reason: str) -> None:
    """Delete (or cancel while deploying); already going or gone is fine."""
    await deployment_actions.delete(ACTOR, deployment_id, reason=reason)


async def status_of(deployment_id: int | None) -> str | None:
    if deployment_id is None:
        return None
    row = (
        await Deployment.select(Deployment.status)
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    return row["status"] if row else None


async def remove_and_wait(deployment_id: int, reason: str, within: float = DELETE_WAIT_S) -> None:
    """Delete and wait until it is gone, so its name (and URLs) are free for the replacement."""
    if await status_of(deployment_id) not in (status.DELETED, None):
        await remove(deployment_id, reason)
    deadline = asyncio.get_running_loop().time() + within
    while await status_of(deployment_id) not in (status.DELETED, None):
        if asyncio.get_running_loop().time() > deadline:
            raise Conflict("The previous deployment of this preview is still being deleted.")
        await asyncio.sleep(0.1)
