"""A new image under a tag a pull request's preview already runs (CI pushes `pr-42` again
after each commit): the previews of forge rules whose service of that image runs that tag are
applied again, so their deployment is replaced with the new image under the same name.

Only open previews that may deploy are refreshed (not one waiting for approval or rejected:
a push must not skip a person's decision).
"""

from __future__ import annotations

from core.domain import pipeline as graphs
from core.domain import registry_pushes as pushes
from core.domain.previews import APPROVAL_PENDING, REJECTED, PreviewRef
from core.services import previews
from core.services.deployment_inputs import latest_pipeline
from core.tables import Service
from core.tables.previews import Preview


async def _images_by_node(project_id: int) -> dict[str, str]:
    """Service node id → image path (`shop/web`) in the project's latest pipeline."""
    graph = graphs.decode((await latest_pipeline(project_id))["graph"])
    ids = {n.id: n.config.get("service_id") for n in graph.nodes if n.kind == "service"}
    rows = await Service.select(Service.id, Service.image).where(
        Service.id.is_in([i for i in ids.values() if i] or [0])
    )  # fmt: skip
    images = {row["id"]: pushes.path_of(row["image"]).lower() for row in rows}
    return {node: images.get(service, "") for node, service in ids.items()}


async def refresh(rules: list[dict], push: pushes.Push) -> list[tuple[int, str]]:
    """Applies again the previews of these forge rules that run the pushed image and tag;
    returns (rule id, what was done) per preview."""
    forge_rules = {rule["id"]: rule for rule in rules if rule["forge"] != "registry"}
    if not forge_rules:
        return []
    rows = await (
        Preview.select()
        .where(Preview.rule.is_in(list(forge_rules)) & (Preview.state == "open"))
        .output(load_json=True)
    )
    pushed, images = pushes.path_of(push.repository).lower(), {}
    done: list[tuple[int, str]] = []
    for row in rows:
        if row["approval"] in (APPROVAL_PENDING, REJECTED) or row["error"]:
            continue
        rule = forge_rules[row["rule"]]
        nodes = [node for node, tag in (row["tags"] or {}).items() if tag == push.tag]
        if not nodes:
            continue
        if rule["project"] not in images:
            images[rule["project"]] = await _images_by_node(rule["project"])
        if not any(images[rule["project"]].get(node) == pushed for node in nodes):
            continue
        ref = PreviewRef(
            number=row["number"],
            branch=row["branch"],
            head_sha=row["head_sha"],
            author=row["author"],
            title=row["title"],
            url=row["url"],
            source_repository=row["source_repository"],
            is_fork=row["is_fork"],
        )
        await previews.apply(rule["id"], ref)
        done.append((rule["id"], f"rule {rule['id']}: preview #{row['number']} gets the new image"))
    return done
