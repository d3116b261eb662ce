"""Export a pipeline version as a compose file (whoever may see the project may read it).

The file carries no secret value: secrets become variables the person running it sets.
"""

from __future__ import annotations

from core.actor import Actor
from core.domain.compose import export
from core.services.pipelines import get_version
from core.services.projects import get_project
from core.tables import Registry, Service


async def export_compose(
    viewer: Actor, project_id: int, version: int | None = None
) -> tuple[str, str]:
    """(file name, YAML text) of one version, the latest when None. The catalog's env values
    are admins' to read (core.services.catalog): others get variables in their place."""
    project = await get_project(project_id)
    found = await get_version(project_id, version)
    ids = [n["config"]["service_id"] for n in found.nodes if n["kind"] == "service"]
    rows = await Service.select().where(Service.id.is_in(ids or [0])).output(load_json=True).run()
    registries = await Registry.select(Registry.id, Registry.url).run()
    document = export.export(
        found.graph,
        {row["id"]: row for row in rows},
        {r["id"]: r["url"] for r in registries},
        project=project.name,
        version=found.version,
        hide_catalog_env=not viewer.is_admin,
    )
    return f"{project.name}-v{found.version}.compose.yml", export.dump(document)
