"""What happens to a deployment after it exists: extend, delete (= cancel), clone, retry,
auto-cleanup, and the desired state the hub sends to a node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent import protocol
from core import runtime
from core.actor import Actor
from core.domain import extension, images, status
from core.domain import pipeline as graphs
from core.domain.access import Level
from core.errors import Conflict, Forbidden
from core.services import deployment_specs, lifecycle, plugin_images
from core.services.audit import Audited, Target, audited
from core.services.deployment_inputs import check_tags, latest_pipeline
from core.services.deployments import (
    DeploymentInput,
    DeploymentView,
    create_deployment,
    get_deployment,
)
from core.services.scheduling import choose_node_locked
from core.tables import Deployment, Environment, PipelineRun, Plugin, Project


def _target(dep: DeploymentView) -> Target:
    return Target(
        "deployment",
        dep.id,
        dep.name,
        project_id=dep.project_id,
        environment_id=dep.environment_id,
    )


async def _for_change(actor: Actor, deployment_id: int, audit: Audited) -> DeploymentView:
    """The deployment, if the actor may change it. Called inside the audited block so that a
    refusal (invisible, or read-only access) is recorded against the deployment too."""
    dep = await get_deployment(actor, deployment_id, Level.READ)
    audit.target = _target(dep)
    if Level.parse(dep.level) < Level.FULL:
        raise Forbidden("You have read-only access to this deployment.")
    return dep


async def _touch(deployment_id: int, **changes: object) -> None:
    values = {getattr(Deployment, k): v for k, v in changes.items()}
    values[Deployment.updated_at] = datetime.now(UTC)
    await Deployment.update(values).where(Deployment.id == deployment_id).run()


async def cleanup_period(dep: DeploymentView) -> int:
    """Hours the deployment may live without activity: its project's, else its environment's."""
    project = (
        await Project.select(Project.cleanup_hours)
        .where(Project.id == dep.project_id)
        .first()
        .run()
    )
    env = (
        await Environment.select(Environment.cleanup_hours)
        .where(Environment.id == dep.environment_id)
        .first()
        .run()
    )
    return (project or {}).get("cleanup_hours") or (env or {}).get("cleanup_hours") or 1


async def extend(actor: Actor, deployment_id: int, hours: int | None = None) -> DeploymentView:
    """Restart the cleanup countdown at `hours` from now: 1 up to the cleanup period, which is
    also the default (core.domain.extension)."""
    async with audited(actor, "deployment.extend", Target("deployment", deployment_id)) as audit:
        dep = await _for_change(actor, deployment_id, audit)
        if not status.can_extend(dep.status):
            raise Conflict(f"A {dep.status} deployment cannot be extended.")
        chosen = extension.check_hours(hours, await cleanup_period(dep))
        expires = datetime.now(UTC) + timedelta(hours=chosen)
        await _touch(dep.id, expires_at=expires)
        audit.detail = f"by {extension.label(chosen)}, until {expires:%Y-%m-%d %H:%M} UTC"
    return await get_deployment(actor, deployment_id)


async def delete(actor: Actor, deployment_id: int, *, reason: str = "") -> DeploymentView:
    """Delete, or cancel while deploying: the agent stops the run and rolls everything back."""
    async with audited(actor, "deployment.delete", Target("deployment", deployment_id)) as audit:
        dep = await _for_change(actor, deployment_id, audit)
        if dep.status in status.IN_PROGRESS:
            audit.action = "deployment.cancel"
        if dep.status in (status.DELETING, status.DELETED):
            return dep
        if not status.can_delete(dep.status):
            raise Conflict(f"A {dep.status} deployment cannot be deleted.")
        audit.detail = reason
        if not await lifecycle.move(dep.id, status.DELETING):
            raise Conflict("The deployment changed meanwhile; reload and try again.")
        await PipelineRun.insert(PipelineRun(deployment=dep.id, action="delete")).run()
    await runtime.queue().enqueue("delete_deployment", deployment_id=dep.id, timeout=0)
    return await get_deployment(actor, deployment_id)


async def retry(
    actor: Actor, deployment_id: int, tags: dict[str, str] | None = None
) -> DeploymentView:
    """Run a failed deployment again, with the project's latest pipeline version. `tags`
    changes some tags on the way ("Change tags and retry"): the same deployment, name and
    URLs, a new run; the tags are checked against that version as at creation."""
    async with audited(actor, "deployment.retry", Target("deployment", deployment_id)) as audit:
        dep = await _for_change(actor, deployment_id, audit)
        if not status.can_retry(dep.status):
            raise Conflict("Only a failed deployment can be retried.")
        version = await latest_pipeline(dep.project_id)
        chosen = await check_tags(graphs.decode(version["graph"]), {**dep.tags, **(tags or {})})
        project = await Project.select().where(Project.id == dep.project_id).first().run()
        async with Deployment._meta.db.transaction():
            node_id = await choose_node_locked(
                dep.environment_id, project["cpu"], project["memory_mb"], actor.id
            )
            placed = {
                Deployment.node: node_id,
                Deployment.pipeline_version: version["id"],
                Deployment.tags: chosen,
                Deployment.cpu: project["cpu"],
                Deployment.memory_mb: project["memory_mb"],
            }
            if not await lifecycle.move(dep.id, status.PENDING, error="", values=placed):
                raise Conflict("The deployment changed meanwhile; reload and try again.")
            await PipelineRun.insert(PipelineRun(deployment=dep.id, action="deploy")).run()
        moved = [
            f"{k} {dep.tags.get(k, '-')}→{v}" for k, v in chosen.items() if dep.tags.get(k) != v
        ]
        audit.detail = f"pipeline v{version['version']}" + (
            f"; {', '.join(moved)}" if moved else ""
        )
    await runtime.queue().enqueue("run_deployment", deployment_id=dep.id, timeout=0)
    return await get_deployment(actor, deployment_id)


async def clone(
    actor: Actor,
    deployment_id: int,
    name: str,
    tags: dict[str, str] | None = None,
    *,
    request_key: str | None = None,
) -> DeploymentView:
    """A new deployment of the same project and environment, latest pipeline, tags editable.
    `request_key` as for a create: a form sent twice makes one clone."""
    async with audited(actor, "deployment.clone", Target("deployment", deployment_id)) as audit:
        dep = await _for_change(actor, deployment_id, audit)
        audit.detail = f"as {name[:63]}"
        return await create_deployment(
            actor,
            DeploymentInput(
                project_id=dep.project_id,
                environment_id=dep.environment_id,
                name=name,
                tags={**dep.tags, **(tags or {})},
                request_key=request_key,
            ),
        )


async def sweep_expired(now: datetime | None = None) -> list[int]:
    """Delete every deployment past its expiry, recorded as done by the auto-cleanup."""
    rows = (
        await Deployment.select(Deployment.id)
        .where(
            Deployment.status.is_in(list(status.ACTIVE))
            & (Deployment.expires_at < (now or datetime.now(UTC)))
        )
        .run()
    )
    swept = []
    for row in rows:
        await delete(Actor.system("auto-cleanup"), row["id"], reason="expired")
        swept.append(row["id"])
    return swept


async def desired_specs(
    node_id: int,
) -> list[protocol.DeploymentSpec | deployment_specs.Unbuildable]:
    """What must exist on a node: its deployments that are neither failed nor going away (a
    sleeping one too: the agent keeps it as it is), each as its spec or as why it cannot be
    built now (core.hub.recorder says what then happens)."""
    rows = (
        await Deployment.select(Deployment.id)
        .where(
            (Deployment.node == node_id)
            & Deployment.status.is_in(
                [
                    status.PENDING,
                    status.DEPLOYING,
                    status.RUNNING,
                    status.SLEEPING,  # its stopped containers stay on the node
                    status.WAKING,
                    status.OFFLINE,
                ]
            )
        )
        .order_by(Deployment.id)
        .run()
    )
    return [await deployment_specs.spec_or_reason(row["id"]) for row in rows]


async def plugin_infos() -> list[protocol.PluginInfo]:
    """The catalog's plugins (not the retired ones), so agents pull their images ahead, each
    with its registry's credentials (see core.services.plugin_images)."""
    rows = await (
        Plugin.select(Plugin.name, Plugin.image, Plugin.tag, Plugin.registry, Plugin.registry.url)
        .where(Plugin.removed_at.is_null())
        .order_by(Plugin.name)
        .run()
    )
    credentials = await plugin_images.registry_credentials({r["registry"] for r in rows})
    return [
        protocol.PluginInfo(
            name=r["name"],
            image=images.pull_reference(r["registry.url"], r["image"], r["tag"]),
            credentials=credentials.get(r["registry"]),
        )
        for r in rows
    ]
