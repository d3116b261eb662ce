"""Where a service or plugin is used: the pipelines that would break if it were deleted.

A pipeline graph node refers to the catalog by id: `{"kind": "service", "config":
{"service_id": 3}}` or `{"kind": "plugin", "config": {"plugin_id": 5}}`. What counts as a use
is each project's current pipeline version and the versions live deployments were made from
(old versions nobody runs any more do not pin the catalog).
"""

from __future__ import annotations

import json

from core.tables import PipelineVersion

REFERENCE_KEYS = {"service": "service_id", "plugin": "plugin_id"}

IN_USE_QUERY = """
SELECT p.name AS project, v.version, v.graph
FROM pipeline_versions v JOIN projects p ON p.id = v.project
WHERE v.id IN (
    SELECT DISTINCT ON (project) id FROM pipeline_versions ORDER BY project, version DESC
) OR v.id IN (
    SELECT pipeline_version FROM deployments WHERE status <> 'deleted'
)
ORDER BY p.name, v.version
"""


def _graph_uses(graph: object, kind: str, item_id: int) -> bool:
    if not isinstance(graph, dict):
        return False
    key = REFERENCE_KEYS[kind]
    for node in graph.get("nodes") or []:
        if not isinstance(node, dict) or node.get("kind") != kind:
            continue
        config = node.get("config")
        if isinstance(config, dict) and str(config.get(key)) == str(item_id):
            return True
    return False


async def pipelines_using(kind: str, item_id: int) -> list[str]:
    """e.g. ["project shop (pipeline v3)"], sorted; empty when nothing uses it."""
    rows = await PipelineVersion.raw(IN_USE_QUERY).run()
    used = []
    for row in rows:
        graph = json.loads(row["graph"]) if isinstance(row["graph"], str) else row["graph"]
        if _graph_uses(graph, kind, item_id):
            used.append(f"project {row['project']} (pipeline v{row['version']})")
    return used
