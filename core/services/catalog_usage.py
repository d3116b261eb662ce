"""Where a service or plugin is used: the pipelines that would break if it were deleted.

A pipeline graph node refers to the catalog by id: `{"kind": "service", "config":
{"service_id": 3}}` or `{"kind": "plugin", "config": {"plugin_id": 5}}`. What counts as a use
is each project's current pipeline version and the versions live deployments were made from
(old versions nobody runs any more do not pin the catalog). `uses` tells the two apart: a plugin
only running deployments of older versions use can be retired (core.services.plugins).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.tables import PipelineVersion

REFERENCE_KEYS = {"service": "service_id", "plugin": "plugin_id"}

IN_USE_QUERY = """
WITH current AS (
    SELECT DISTINCT ON (project) id FROM pipeline_versions ORDER BY project, version DESC
)
SELECT p.name AS project, v.version, v.graph, v.id IN (SELECT id FROM current) AS current
FROM pipeline_versions v JOIN projects p ON p.id = v.project
WHERE v.id IN (SELECT id FROM current) OR v.id IN (
    SELECT pipeline_version FROM deployments WHERE status <> 'deleted'
)
ORDER BY p.name, v.version
"""


@dataclass
class Use:
    project: str
    version: int
    current: bool  # the project's latest version (else only live deployments run it)

    def __str__(self) -> str:
        return f"project {self.project} (pipeline v{self.version})"


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


async def uses(kind: str, item_id: int) -> list[Use]:
    rows = await PipelineVersion.raw(IN_USE_QUERY).run()
    used = []
    for row in rows:
        graph = json.loads(row["graph"]) if isinstance(row["graph"], str) else row["graph"]
        if _graph_uses(graph, kind, item_id):
            used.append(Use(row["project"], row["version"], row["current"]))
    return used


async def pipelines_using(kind: str, item_id: int) -> list[str]:
    """e.g. ["project shop (pipeline v3)"], sorted; empty when nothing uses it."""
    return [str(use) for use in await uses(kind, item_id)]
