"""Datasets on their way to the nodes (docs/data.md, agent/protocol/datasets.py).

A deployment's spec names, for each plugin step whose plugin takes a dataset
(`x-dataset-params`), the version it seeds from: the newest of that name when the deployment
was made, so a later upload changes new deployments only. Before the deployment is sent, its
node is asked what it holds and given what it lacks, in chunks; a node that has the file
already receives nothing more."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from agent import protocol as p
from core.domain import pipeline as graphs
from core.errors import Conflict
from core.hub.session import AgentRequestFailed
from core.services import dataset_files
from core.services.datasets import seeded_steps
from core.tables import Dataset

log = logging.getLogger(__name__)


class DatasetRefused(Conflict):
    """The node could not be given a dataset: the deployment fails with this reason."""


async def attach_datasets(
    project_id: int,
    made_at: datetime,
    graph: graphs.Graph,
    plugins: dict[int, dict[str, Any]],
    nodes: list[Any],
) -> None:
    """Set `config.dataset` on the spec's plugin nodes that seed; Conflict naming the step
    when the project has no such dataset (the deployment fails with that reason)."""
    schemas = {i: row["param_schema"] or {} for i, row in plugins.items()}
    wanted = seeded_steps(graph, schemas)
    for node in nodes:
        name = wanted.get(node.id)
        if name is None or not isinstance(node, p.PluginNode):
            continue
        row = await (
            Dataset.select(*Dataset.all_columns())
            .where(
                (Dataset.project == project_id)
                & (Dataset.name == name)
                & (Dataset.created_at <= made_at)
            )
            .order_by(Dataset.version, ascending=False)
            .first()
            .run()
        )
        if row is None:
            raise Conflict(
                f"Step {node.id} seeds from dataset {name!r}, which the project did not have "
                "when this deployment was made: add it on the project's Datasets page."
            )
        node.config.dataset = p.DatasetRef(
            name=name,
            version=row["version"],
            sha256=row["sha256"],
            size_bytes=row["size_bytes"],
            format=row["format"],
        )


def refs_of(spec: p.DeploymentSpec) -> list[p.DatasetRef]:
    found = {}
    for node in spec.nodes:
        if isinstance(node, p.PluginNode) and node.config.dataset is not None:
            found[node.config.dataset.sha256] = node.config.dataset
    return list(found.values())


async def send_to_node(hub: Any, node_id: int, ref: p.DatasetRef, data_path: Path) -> int:
    """Make the node hold `ref`'s file; the bytes sent (0 when it had it). DatasetRefused when
    the control plane's copy is gone or damaged, or the node refused it; AgentUnavailable when
    the connection is lost (the deployment waits for the node, as any other)."""
    try:
        return await _send(hub, node_id, ref, data_path)
    except AgentRequestFailed as exc:
        detail = f"Dataset {ref.name} could not be stored on the node: {exc.detail}"
        raise DatasetRefused(detail) from None


async def _send(hub: Any, node_id: int, ref: p.DatasetRef, data_path: Path) -> int:
    have = await hub.ask(node_id, p.DatasetPut(id=0, sha256=ref.sha256, size_bytes=ref.size_bytes))
    if have.complete:
        return 0
    if not await asyncio.to_thread(dataset_files.verified, data_path, ref.sha256):
        raise DatasetRefused(
            f"Dataset {ref.name} version {ref.version} is missing or damaged on the control "
            f"plane (sha256 {ref.sha256}): upload it again."
        )
    path, sent = dataset_files.path_of(data_path, ref.sha256), 0
    # Each answer says where the node's file is: another deployment's transfer of the same
    # file may have moved it on, and this one carries on from there.
    rounds = 4 * (ref.size_bytes // p.DATASET_CHUNK_BYTES) + 16
    with path.open("rb") as source:
        while not have.complete:
            rounds -= 1
            if rounds < 0:
                raise DatasetRefused(
                    f"Dataset {ref.name}'s transfer to the node makes no progress."
                )
            source.seek(have.have_bytes)
            chunk = await asyncio.to_thread(source.read, p.DATASET_CHUNK_BYTES)
            if not chunk and have.have_bytes < ref.size_bytes:
                raise DatasetRefused(f"Dataset {ref.name}'s file ended at {have.have_bytes} bytes.")
            have = await hub.ask(
                node_id,
                p.DatasetPut(
                    id=0,
                    sha256=ref.sha256,
                    size_bytes=ref.size_bytes,
                    offset=have.have_bytes,
                    data=chunk,
                ),
            )
            sent += len(chunk)
    log.info("dataset %s (%s) sent to node %s: %d bytes", ref.name, ref.sha256, node_id, sent)
    return sent
