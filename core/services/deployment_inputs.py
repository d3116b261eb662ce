"""Checks on what a deployment request asks for: the pipeline to use, the tags, the expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.domain import pipeline as graphs
from core.domain.tags import check_tag, compile_pattern
from core.errors import Conflict, InvalidInput
from core.tables import PipelineVersion, Service

# Why a project cannot be deployed, said the same way on its page and wherever it is refused.
NO_PIPELINE = (
    "No pipeline yet: this project cannot be deployed until an admin saves one in the "
    "pipeline editor."
)
EMPTY_PIPELINE = (
    "The pipeline is empty: this project cannot be deployed until an admin adds services to "
    "it in the pipeline editor."
)


async def latest_pipeline(project_id: int) -> dict[str, Any]:
    """The version a new deployment (or a retry) runs; refused when there is nothing to run
    (an empty version may predate the rule that refuses saving one)."""
    row = (
        await PipelineVersion.select()
        .where(PipelineVersion.project == project_id)
        .order_by(PipelineVersion.version, ascending=False)
        .output(load_json=True)
        .first()
        .run()
    )
    if row is None:
        raise Conflict(NO_PIPELINE, "project_id")
    if not (row["graph"] or {}).get("nodes"):
        raise Conflict(EMPTY_PIPELINE, "project_id")
    return row


async def deploy_blocker(project_id: int) -> str:
    """Why the project cannot be deployed now ("" when it can), for its page and the form."""
    try:
        await latest_pipeline(project_id)
    except Conflict as refused:
        return refused.detail
    return ""


async def check_tags(graph: graphs.Graph, chosen: dict[str, str]) -> dict[str, str]:
    """The tag of every service node: pinned ones from the catalog, selectable ones checked
    against the service's pattern (a tag outside it is refused even if posted by hand)."""
    ids = [n.config["service_id"] for n in graph.nodes if n.kind == "service"]
    found = await Service.select().where(Service.id.is_in(ids or [0])).output(load_json=True).run()
    services = {r["id"]: r for r in found}
    tags: dict[str, str] = {}
    for node in graph.nodes:
        if node.kind != "service":
            continue
        service = services[node.config["service_id"]]
        if service["tag_mode"] == "pinned":
            tags[node.id] = service["tag"]
            continue
        tag = (chosen.get(node.id) or "").strip()
        if not tag:
            raise InvalidInput(f"Pick a tag for '{node.id}'.", f"tag_{node.id}")
        check_tag(tag, f"tag_{node.id}")
        if not compile_pattern(service["tag_pattern"]).fullmatch(tag):
            raise InvalidInput(
                f"'{tag}' is not allowed for '{node.id}': tags must match "
                f"'{service['tag_pattern']}'.",
                f"tag_{node.id}",
            )
        tags[node.id] = tag
    return tags


async def expiry_for(project: dict, env: dict, now: datetime | None = None) -> datetime:
    hours = project["cleanup_hours"] or env["cleanup_hours"]
    return (now or datetime.now(UTC)) + timedelta(hours=hours)
