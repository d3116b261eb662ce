"""Export a pipeline version as a JSON/YAML file and import one as a new version."""

from __future__ import annotations

from core.actor import Actor
from core.domain import pipeline_file
from core.errors import InvalidInput
from core.services.pipelines import VersionView, get_version, save_pipeline
from core.services.projects import get_project
from core.tables import Plugin, Service

FORMATS = ("yaml", "json")


async def _catalog_names() -> dict[str, dict[str, str]]:
    services = await Service.select(Service.id, Service.name).run()
    # By id: a retired plugin's name taken again by a newer one maps to the newer on import.
    plugins = await Plugin.select(Plugin.id, Plugin.name).order_by(Plugin.id).run()
    return {
        "services": {str(r["id"]): r["name"] for r in services},
        "plugins": {str(r["id"]): r["name"] for r in plugins},
    }


async def export_pipeline(project_id: int, version: int | None, fmt: str) -> tuple[str, str]:
    """(file name, text) of one version (the latest when None)."""
    if fmt not in FORMATS:
        raise InvalidInput("Export as yaml or json.", "format")
    project = await get_project(project_id)
    found = await get_version(project_id, version)
    names = await _catalog_names()
    used = {
        kind: {
            key: name
            for key, name in names[f"{kind}s"].items()
            if any(str(n["config"].get(f"{kind}_id")) == key for n in found.nodes)
        }
        for kind in ("service", "plugin")
    }
    text = pipeline_file.dump(
        found.graph,
        project=project.name,
        version=found.version,
        catalog={"services": used["service"], "plugins": used["plugin"]},
        fmt=fmt,
    )
    return f"{project.name}-pipeline-v{found.version}.{fmt}", text


async def import_pipeline(
    actor: Actor, project_id: int, text: str | bytes, base_version: int | None, message: str = ""
) -> VersionView:
    document = pipeline_file.load(text)
    names = await _catalog_names()
    local = {
        "service": {name: int(key) for key, name in names["services"].items()},
        "plugin": {name: int(key) for key, name in names["plugins"].items()},
    }
    graph = pipeline_file.remap_catalog(document, local)
    origin = document.get("project"), document.get("version")
    default = f"Imported from {origin[0]} v{origin[1]}" if all(origin) else "Imported from a file"
    return await save_pipeline(actor, project_id, graph, message or default, base_version)
