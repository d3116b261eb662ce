"""Deployments: create (tags checked, capacity reserved under a lock), read with access rules.

Lifecycle actions (extend, delete, clone, retry, auto-cleanup) are in deployment_actions.py;
the agent's reports land through core.hub.events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import asyncpg
import msgspec

from core import ingress, runtime, validation
from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain import status
from core.domain.access import Level
from core.errors import Conflict, NotFound
from core.fields import Id, MaxLen, Text
from core.services import access
from core.services.audit import Target, audited
from core.services.deployment_inputs import check_tags, expiry_for, latest_pipeline
from core.services.plugins import check_available
from core.services.scheduling import choose_node_locked
from core.tables import Deployment, Environment, PipelineRun, PipelineVersion, Project, Service
from core.tokens import hash_token


class DuplicateRequest(Exception):
    """The same request key raced in twice; the first insert won."""


class DeploymentInput(msgspec.Struct, kw_only=True):
    project_id: Id
    environment_id: Id
    name: Annotated[Text, MaxLen(63)]
    tags: dict[Text, Annotated[Text, MaxLen(128)]] = {}
    # A double-submitted form or API call creates one deployment; a key is the caller's own.
    request_key: Text | None = None


class DeploymentView(msgspec.Struct, kw_only=True):
    id: int
    name: str
    status: str
    project_id: int
    project_name: str
    environment_id: int
    environment_name: str
    node_id: int | None
    pipeline_version: int
    tags: dict[str, str]
    ports: dict[str, int]
    error: str
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    deleted_at: datetime | None = None
    urls: dict[str, str] = {}
    level: str = "read"


COLUMNS = (
    Deployment.all_columns(),
    Deployment.project.name.as_alias("project_name"),
    Deployment.environment.name.as_alias("environment_name"),
    Deployment.pipeline_version.version.as_alias("version"),
    Deployment.created_by.username.as_alias("creator"),
)


def to_view(
    row: Mapping[str, Any], level: Level, tags: dict[str, str], ports: dict[str, int]
) -> DeploymentView:
    """`row` from the ORM or a raw record; tags and ports already decoded from JSON."""
    return DeploymentView(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        project_id=row["project"],
        project_name=row["project_name"],
        environment_id=row["environment"],
        environment_name=row["environment_name"],
        node_id=row["node"],
        pipeline_version=row["version"],
        tags=tags,
        ports=ports,
        error=row["error"],
        created_by=row["creator"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
        deleted_at=row["deleted_at"],
        level=level.label,
    )


async def service_urls(dep: DeploymentView, graph: graphs.Graph) -> dict[str, str]:
    env = await Environment.select().where(Environment.id == dep.environment_id).first().run()
    services = {r["id"]: r for r in await Service.select(Service.id, Service.port).run()}
    return urls_from(dep, graph, env, services)


def urls_from(
    dep: DeploymentView,
    graph: graphs.Graph,
    env: Mapping[str, Any],
    services: Mapping[int, Mapping[str, Any]],
) -> dict[str, str]:
    """A deployment's service URLs from rows already read (its environment, the catalog's
    services by id): many deployments' URLs need those rows once."""
    urls = {}
    for node in graph.nodes:
        if node.kind != "service":
            continue
        port = node.config.get("port") or services.get(node.config.get("service_id"), {}).get(
            "port"
        )
        if port:
            urls[node.id] = ingress.url_of(
                runtime.settings(),
                node.id,
                dep.name,
                env["name"],
                env["base_domain"],
                env["tls_mode"],
            )
    return urls


async def get_deployment(
    actor: Actor, deployment_id: int, needed: Level = Level.READ
) -> DeploymentView:
    row = (
        await Deployment.select(*COLUMNS)
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such deployment.")
    level = await access.require_deployment_level(actor, row["project"], row["environment"], needed)
    view = to_view(row, level, row["tags"] or {}, row["ports"] or {})
    graph = graphs.decode(
        (
            await PipelineVersion.select(PipelineVersion.graph)
            .where(PipelineVersion.id == row["pipeline_version"])
            .output(load_json=True)
            .first()
            .run()
        )["graph"]
    )
    view.urls = await service_urls(view, graph)
    return view


async def create_deployment(actor: Actor, data: DeploymentInput) -> DeploymentView:
    scope = {"project_id": data.project_id, "environment_id": data.environment_id}
    target = Target("deployment", name=data.name[:63], **scope)
    key = request_key(actor, data.request_key)
    async with audited(actor, "deployment.create", target) as audit:
        await access.require_deployment_level(
            actor, data.project_id, data.environment_id, Level.FULL
        )
        earlier = await _created_for(key)
        if earlier is not None:
            audit.target = Target("deployment", earlier, data.name[:63], **scope)
            audit.detail = "the same request again: nothing new was created"
            return await get_deployment(actor, earlier)
        project = await Project.select().where(Project.id == data.project_id).first().run()
        env = await Environment.select().where(Environment.id == data.environment_id).first().run()
        if project is None or env is None:
            raise NotFound("No such project." if project is None else "No such environment.")
        name = validation.dns_label(data.name)
        version = await latest_pipeline(data.project_id)
        graph = graphs.decode(version["graph"])
        await check_available(graph)  # a plugin retired since the pipeline was saved
        for node in graph.nodes:
            if node.kind == "service":  # only services get a public host name
                ingress.check_hostname(node.id, name, env["name"], env["base_domain"])
        tags = await check_tags(graph, data.tags)
        try:
            deployment_id = await _insert(actor, project, env, version, name, tags, key)
        except DuplicateRequest:
            earlier = await _created_for(key)
            audit.target = Target("deployment", earlier, name, **scope)
            audit.detail = "the same request again: nothing new was created"
            return await get_deployment(actor, earlier)  # type: ignore[arg-type]
        audit.target = Target("deployment", deployment_id, name, **scope)
        audit.detail = ", ".join(f"{k}={v}" for k, v in tags.items())
    await runtime.queue().enqueue("run_deployment", deployment_id=deployment_id, timeout=0)
    return await get_deployment(actor, deployment_id)


def request_key(actor: Actor, key: str | None) -> str | None:
    """What the request key is stored as: a hash of the actor and the key, so one user's key
    never finds (or blocks) another user's deployment, and a key of any length fits."""
    return hash_token(f"{actor.id}:{key}") if key else None


async def _created_for(key: str | None) -> int | None:
    if not key:
        return None
    row = await Deployment.select(Deployment.id).where(Deployment.request_key == key).first().run()
    return row["id"] if row else None


async def _insert(
    actor: Actor, project: dict, env: dict, version: dict, name: str, tags: dict, key: str | None
) -> int:
    try:
        async with Deployment._meta.db.transaction():
            node_id = await choose_node_locked(
                env["id"], project["cpu"], project["memory_mb"], actor.id
            )
            row = (
                await Deployment.insert(
                    Deployment(
                        project=project["id"],
                        environment=env["id"],
                        node=node_id,
                        pipeline_version=version["id"],
                        name=name,
                        status=status.PENDING,
                        tags=tags,
                        cpu=project["cpu"],
                        memory_mb=project["memory_mb"],
                        request_key=key,
                        created_by=actor.id,
                        expires_at=await expiry_for(project, env),
                    )
                )
                .returning(Deployment.id)
                .run()
            )[0]
            await PipelineRun.insert(PipelineRun(deployment=row["id"], action="deploy")).run()
    except asyncpg.UniqueViolationError as exc:
        if key and "request_key" in (exc.constraint_name or ""):
            raise DuplicateRequest(key) from exc
        raise Conflict(
            f"A deployment named '{name}' already exists in {env['name']}; pick another name.",
            "name",
        ) from exc
    return row["id"]
