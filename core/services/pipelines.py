"""A project's pipeline: immutable versions, saved by admins, readable by whoever sees the project.

A save validates the whole graph against the catalog, the project's secrets and limits
(core.domain.pipeline_checks) and stores it as version latest+1 with who, when and a message.
Two admins editing at once: each save names the `base_version` it was edited from, and a save
whose base is no longer the latest is refused with a Conflict instead of silently replacing
the other admin's work (the unique (project, version) index backs this up under a race).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from core.actor import Actor
from core.domain import pipeline_checks
from core.domain.pipeline import Issue, to_builtins
from core.domain.pipeline_diff import GraphDiff, diff_graphs
from core.domain.pipeline_facts import Facts, PluginFacts, ServiceFacts
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.services.audit import Target, audited
from core.services.plugins import check_params
from core.services.projects import ProjectView, get_project
from core.services.secrets import secret_names
from core.tables import PipelineVersion, Plugin, Service

MAX_MESSAGE = 500


EMPTY = "The pipeline is empty: add at least one service."
EMPTY_ISSUE = Issue(None, EMPTY)
EMPTY_DETAIL = (
    "The pipeline was not saved: it is empty. Add at least one service first; a project whose "
    "pipeline is empty cannot be deployed."
)


class PipelineInvalid(InvalidInput):
    """The graph breaks rules; `issues` says which, each on its node."""

    def __init__(self, issues: list[Issue], detail: str = "") -> None:
        first = issues[0]
        where = f"node '{first.node}': " if first.node else ""
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        detail = detail or f"The pipeline was not saved: {where}{first.message}{more}"
        super().__init__(detail, "graph")
        self.issues = issues


class VersionSummary(msgspec.Struct, kw_only=True):
    version: int
    message: str
    created_by: str | None
    created_at: datetime
    nodes: int


class VersionView(msgspec.Struct, kw_only=True):
    project_id: int
    version: int
    message: str
    created_by: str | None
    created_at: datetime
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    layout: dict[str, Any]

    @property
    def graph(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges, "layout": self.layout}


COLUMNS = (
    PipelineVersion.project,
    PipelineVersion.version,
    PipelineVersion.graph,
    PipelineVersion.message,
    PipelineVersion.created_at,
    PipelineVersion.created_by.username,
)


def _view(row: dict) -> VersionView:
    graph = row["graph"] if isinstance(row["graph"], dict) else {}
    return VersionView(
        project_id=row["project"],
        version=row["version"],
        message=row["message"],
        created_by=row["created_by.username"],
        created_at=row["created_at"],
        nodes=graph.get("nodes", []),
        edges=graph.get("edges", []),
        layout=graph.get("layout", {}),
    )


async def latest_number(project_id: int) -> int:
    """0 when the project has no pipeline yet."""
    row = await (
        PipelineVersion.select(PipelineVersion.version)
        .where(PipelineVersion.project == project_id)
        .order_by(PipelineVersion.version, ascending=False)
        .first()
        .run()
    )
    return row["version"] if row else 0


async def get_version(project_id: int, version: int | None = None) -> VersionView:
    """One version, or the latest when `version` is None; NotFound when there is none."""
    await get_project(project_id)
    query = PipelineVersion.select(*COLUMNS).output(load_json=True)
    query = query.where(PipelineVersion.project == project_id)
    if version is not None:
        query = query.where(PipelineVersion.version == version)
    row = await query.order_by(PipelineVersion.version, ascending=False).first().run()
    if row is None:
        raise NotFound(
            "This project has no pipeline yet." if version is None else f"No version {version}."
        )
    return _view(row)


async def list_versions(project_id: int) -> list[VersionSummary]:
    """Newest first."""
    await get_project(project_id)
    rows = await (
        PipelineVersion.select(*COLUMNS)
        .output(load_json=True)
        .where(PipelineVersion.project == project_id)
        .order_by(PipelineVersion.version, ascending=False)
        .run()
    )
    return [
        VersionSummary(
            version=r["version"],
            message=r["message"],
            created_by=r["created_by.username"],
            created_at=r["created_at"],
            nodes=len((r["graph"] or {}).get("nodes", [])),
        )
        for r in rows
    ]


async def facts_for(project_id: int) -> Facts:
    project = await get_project(project_id)
    services = await Service.select(
        Service.id, Service.name, Service.cpu, Service.memory_mb, Service.port
    ).run()
    plugins = await (
        Plugin.select(
            Plugin.id,
            Plugin.name,
            Plugin.image,
            Plugin.tag,
            Plugin.param_schema,
            Plugin.cpu,
            Plugin.memory_mb,
            Plugin.registry.as_alias("registry_id"),
        )
        .where(Plugin.removed_at.is_null())  # a retired plugin is unknown to new versions
        .output(load_json=True)
        .run()
    )
    return Facts(
        services={s["id"]: msgspec.convert(s, ServiceFacts, strict=False) for s in services},
        plugins={p["id"]: msgspec.convert(p, PluginFacts, strict=False) for p in plugins},
        secrets=frozenset(await secret_names(project_id)),
        cpu=project.cpu,
        memory_mb=project.memory_mb,
    )


async def validate_graph(project_id: int, raw: object) -> tuple[dict[str, Any], list[Issue]]:
    """(normalised graph, issues) without saving: what a save refuses, and the editor shows."""
    graph, issues = pipeline_checks.check(raw, await facts_for(project_id), check_params)
    if not graph.nodes and not issues:  # it would become the version new deployments run: nothing
        issues = [EMPTY_ISSUE]
    return to_builtins(graph), issues


async def editable_project(actor: Actor, project_id: int) -> ProjectView:
    """The project whose pipeline `actor` may change: who may save, and so also ask what a
    save would say of a draft (the editor's live checks)."""
    if not actor.is_admin:
        raise Forbidden("Only admins can change pipelines.")
    return await get_project(project_id)


async def save_pipeline(
    actor: Actor,
    project_id: int,
    raw: object,
    message: str = "",
    base_version: int | None = None,
    *,
    keep_frozen_tags: bool = False,
) -> VersionView:
    """Validate and store as a new version. `keep_frozen_tags` = restore: the plugin image and
    tag stay those of the restored version (what it ran with), not today's catalog."""
    target = Target("pipeline", project_id, project_id=project_id)
    async with audited(actor, "pipeline.save", target) as audit:
        project = await editable_project(actor, project_id)
        audit.target = Target("pipeline", project_id, project.name, project_id=project_id)
        message = (message or "").strip()
        if len(message) > MAX_MESSAGE or any(ord(c) < 32 and c not in "\t\n" for c in message):
            raise InvalidInput(f"A message is text of at most {MAX_MESSAGE} characters.", "message")
        graph, issues = await validate_graph(project_id, raw)
        if issues:
            raise PipelineInvalid(issues, EMPTY_DETAIL if issues == [EMPTY_ISSUE] else "")
        if keep_frozen_tags:
            _keep_tags(graph, raw)
        latest = await latest_number(project_id)
        if base_version is not None and base_version != latest:
            raise await _stale(project_id, base_version, latest)
        try:
            await PipelineVersion.insert(
                PipelineVersion(
                    project=project_id,
                    version=latest + 1,
                    graph=graph,
                    message=message,
                    created_by=actor.id,
                )
            ).run()
        except asyncpg.UniqueViolationError as exc:  # another save won the race just now
            raise await _stale(project_id, base_version or latest, latest + 1) from exc
        audit.detail = f"version {latest + 1}" + (f": {message}" if message else "")
    return await get_version(project_id, latest + 1)


def _keep_tags(graph: dict[str, Any], raw: object) -> None:
    old = {n.get("id"): n.get("config") or {} for n in (raw or {}).get("nodes", [])}  # type: ignore[union-attr]
    for node in graph["nodes"]:
        frozen = old.get(node["id"], {})
        if node["kind"] == "plugin" and frozen.get("image") and frozen.get("tag"):
            for key in ("image", "tag", "registry_id"):
                node["config"][key] = frozen.get(key)


async def _stale(project_id: int, base: int, latest: int) -> Conflict:
    newest = await get_version(project_id, latest)
    who = newest.created_by or "someone"
    return Conflict(
        f"You edited version {base}, but {who} saved version {newest.version} since "
        f"({newest.created_at:%Y-%m-%d %H:%M} UTC). Nothing was saved: reload to see their "
        "changes (in the editor, Download keeps yours as a file you can import).",
        "base_version",
    )


async def restore_version(
    actor: Actor, project_id: int, version: int, base_version: int | None = None
) -> VersionView:
    old = await get_version(project_id, version)
    return await save_pipeline(
        actor,
        project_id,
        old.graph,
        f"Restored from version {version}",
        base_version,
        keep_frozen_tags=True,
    )


async def diff_versions(project_id: int, old: int, new: int) -> GraphDiff:
    before, after = await get_version(project_id, old), await get_version(project_id, new)
    return diff_graphs(before.graph, after.graph, old, new)
