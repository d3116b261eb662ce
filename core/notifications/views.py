"""The deployments a batch of events is about, read together: four queries for the whole batch
instead of five for each event (a burst's fan-out spent most of its time building them). A
deployment missing here is read the usual way by facts.gather, which says if it is gone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.domain import pipeline as graphs
from core.domain.access import Level
from core.services import deployments
from core.services.deployments import DeploymentView
from core.tables import Deployment, Environment, PipelineVersion, Service


async def load(deployment_ids: Iterable[int]) -> dict[int, tuple[DeploymentView, Any]]:
    """Each deployment's view (URLs included) and the id of the user who created it."""
    ids = sorted(set(deployment_ids))
    if not ids:
        return {}
    rows = (
        await Deployment.select(*deployments.COLUMNS)
        .where(Deployment.id.is_in(ids))
        .output(load_json=True)
        .run()
    )
    if not rows:
        return {}
    versions = await (
        PipelineVersion.select(PipelineVersion.id, PipelineVersion.graph)
        .where(PipelineVersion.id.is_in(sorted({row["pipeline_version"] for row in rows})))
        .output(load_json=True)
        .run()
    )
    graph_of = {version["id"]: graphs.decode(version["graph"]) for version in versions}
    environments = await (
        Environment.select()
        .where(Environment.id.is_in(sorted({row["environment"] for row in rows})))
        .run()
    )
    environment_of = {environment["id"]: environment for environment in environments}
    services = {r["id"]: r for r in await Service.select(Service.id, Service.port).run()}
    found = {}
    for row in rows:
        # The notifier reads every deployment, as the system actor does.
        view = deployments.to_view(row, Level.FULL, row["tags"] or {}, row["ports"] or {})
        view.urls = deployments.urls_from(
            view, graph_of[row["pipeline_version"]], environment_of[row["environment"]], services
        )
        found[row["id"]] = (view, row["created_by"])
    return found
