"""Datasets of a project (docs/data.md): named PostgreSQL dumps that pipelines seed databases
from. Admins upload a version or have one fetched from a URL, and delete a name with all its
versions; whoever sees the project lists them. The newest version of a name is what a new
deployment gets. A name in use by a live deployment cannot be deleted. Every change is audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain.datasets import dataset_name
from core.errors import Conflict, Forbidden, NotFound
from core.services import dataset_files
from core.services.audit import Target, audited
from core.services.unique import name_must_be_free
from core.tables import Dataset, Deployment, Plugin, Project

KEYWORD = "x-dataset-params"  # a plugin schema's params that name a dataset of the project
DONE = ("deleted", "failed")  # deployments that hold no copy of a dataset any more


class DatasetView(msgspec.Struct, kw_only=True):
    id: int
    project_id: int
    name: str
    version: int
    sha256: str
    size_bytes: int
    format: str  # custom | plain
    source: str  # "upload" or the URL it was fetched from
    created_by: str
    created_at: datetime


def to_view(row: dict[str, Any]) -> DatasetView:
    return DatasetView(
        id=row["id"],
        project_id=row["project"],
        name=row["name"],
        version=row["version"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        format=row["format"],
        source=row["source"],
        created_by=row["created_by_name"],
        created_at=row["created_at"],
    )


async def list_datasets(project_id: int) -> list[DatasetView]:
    """Every version, by name, newest version first."""
    rows = await (
        Dataset.select(*Dataset.all_columns())
        .where(Dataset.project == project_id)
        .order_by(Dataset.name)
        .order_by(Dataset.version, ascending=False)
        .run()
    )
    return [to_view(r) for r in rows]


async def latest(project_id: int, name: str) -> DatasetView | None:
    row = await (
        Dataset.select(*Dataset.all_columns())
        .where((Dataset.project == project_id) & (Dataset.name == name))
        .order_by(Dataset.version, ascending=False)
        .first()
        .run()
    )
    return to_view(row) if row else None


async def add_version(
    actor: Actor,
    project_id: int,
    name: str,
    data_path: Path,
    limit_bytes: int,
    *,
    chunks: AsyncIterable[bytes] | None = None,
    url: str = "",
    expected_sha256: str = "",
) -> DatasetView:
    """A new version of `name` from an upload's `chunks` or from `url`; InvalidInput naming the
    field (name, file, url, sha256) when refused, with nothing kept."""
    target = Target("dataset", name=name[:63], project_id=project_id)
    async with audited(actor, "dataset.create", target) as audit:
        if not actor.is_admin:
            raise Forbidden("Only admins can add datasets.")
        if not await Project.exists().where(Project.id == project_id).run():
            raise NotFound("No such project.")
        name = dataset_name(name)
        if url:
            stored = await dataset_files.fetch(url, data_path, limit_bytes, expected_sha256)
        else:
            assert chunks is not None
            stored = await dataset_files.receive(chunks, data_path, limit_bytes, expected_sha256)
        previous = await latest(project_id, name)
        version = previous.version + 1 if previous else 1
        with name_must_be_free(f"Version {version} of the dataset", name):  # a parallel upload
            row = await _insert(actor, project_id, name, version, stored, url)
        view = to_view(row)
        audit.target = Target("dataset", view.id, name, project_id=project_id)
        audit.detail = f"version {view.version}, sha256 {view.sha256}, {view.size_bytes} bytes"
        return view


async def _insert(
    actor: Actor,
    project_id: int,
    name: str,
    version: int,
    stored: dataset_files.StoredFile,
    url: str,
) -> dict[str, Any]:
    rows = await Dataset.insert(
        Dataset(
            project=project_id,
            name=name,
            version=version,
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            format=stored.format,
            source=url or "upload",
            created_by=actor.id,
            created_by_name=actor.username,
        )
    ).returning(*Dataset.all_columns())
    return rows[0]


async def delete_dataset(actor: Actor, project_id: int, name: str, data_path: Path) -> None:
    """Every version of `name`; refused (409) while a live deployment's pipeline seeds from it.
    Files no other row names are removed; nodes keep their copies (docs/data.md)."""
    target = Target("dataset", name=name[:63], project_id=project_id)
    async with audited(actor, "dataset.delete", target):
        if not actor.is_admin:
            raise Forbidden("Only admins can delete datasets.")
        rows = await (
            Dataset.select(Dataset.sha256)
            .where((Dataset.project == project_id) & (Dataset.name == name))
            .run()
        )
        if not rows:
            raise NotFound("No such dataset.")
        users = await deployments_using(project_id, name)
        if users:
            raise Conflict(
                f"Dataset {name} is used by deployment{'s' if len(users) > 1 else ''} "
                f"{', '.join(users)}; delete them first."
            )
        await Dataset.delete().where((Dataset.project == project_id) & (Dataset.name == name))
        for sha in {r["sha256"] for r in rows}:
            if not await Dataset.exists().where(Dataset.sha256 == sha).run():
                await dataset_files.remove(data_path, sha)


def seeded_steps(graph: graphs.Graph, schemas: dict[int, dict[str, Any]]) -> dict[str, str]:
    """Plugin steps of `graph` whose plugin takes a dataset → the dataset name they give."""
    found = {}
    for node in graph.nodes:
        schema = schemas.get(node.config.get("plugin_id")) if node.kind == "plugin" else None
        for param in (schema or {}).get(KEYWORD, []):
            value = (node.config.get("params") or {}).get(param)
            if isinstance(value, str) and value:
                found[node.id] = value
    return found


async def plugin_schemas(graph: graphs.Graph) -> dict[int, dict[str, Any]]:
    ids = [n.config.get("plugin_id") for n in graph.nodes if n.kind == "plugin"]
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return {}
    rows = await (
        Plugin.select(Plugin.id, Plugin.param_schema)
        .where(Plugin.id.is_in(ids))
        .output(load_json=True)
        .run()
    )
    return {r["id"]: r["param_schema"] or {} for r in rows}


async def deployments_using(project_id: int, name: str) -> list[str]:
    """Names of the project's live deployments whose pipeline version seeds from `name`."""
    rows = await (
        Deployment.select(Deployment.name, Deployment.pipeline_version.graph)
        .where((Deployment.project == project_id) & Deployment.status.not_in(list(DONE)))
        .output(load_json=True)
        .run()
    )
    using = []
    for row in rows:
        graph = graphs.decode(row["pipeline_version.graph"] or {"nodes": [], "edges": []})
        if name in seeded_steps(graph, await plugin_schemas(graph)).values():
            using.append(row["name"])
    return sorted(using)
