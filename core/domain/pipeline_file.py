"""Pipelines as code: one graph as a JSON or YAML document, and back.

    shoal_pipeline: 1                 # format of this file
    project: shop                     # informative
    version: 4                        # informative
    catalog: {services: {"3": postgres}, plugins: {"5": sql-script}}
    nodes: [...]; edges: [...]; layout: {...}   # the graph as stored (core.domain.pipeline)

`catalog` names what each id meant where the file was exported, so an import into another
Shoal maps services and plugins by name when the ids differ there.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from core.errors import InvalidInput

FORMAT = 1
MAX_FILE_BYTES = 1024 * 1024
REFERENCE_KEYS = {"service": "service_id", "plugin": "plugin_id"}


def dump(graph: dict[str, Any], *, project: str, version: int, catalog: dict, fmt: str) -> str:
    document = {
        "shoal_pipeline": FORMAT,
        "project": project,
        "version": version,
        "catalog": catalog,
        "nodes": graph.get("nodes", []),
        "edges": graph.get("edges", []),
        "layout": graph.get("layout", {}),
    }
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load(text: str | bytes) -> dict[str, Any]:
    """The document as a dict; YAML is a superset of JSON, so one parser reads both."""
    if len(text) > MAX_FILE_BYTES:
        raise InvalidInput("A pipeline file is at most 1 MB.", "file")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise InvalidInput(f"The file is neither valid JSON nor YAML{line}.", "file") from exc
    if not isinstance(document, dict) or "nodes" not in document:
        raise InvalidInput("This is not a Shoal pipeline file: it has no 'nodes'.", "file")
    if document.get("shoal_pipeline", FORMAT) != FORMAT:
        raise InvalidInput(
            f"Pipeline file format {document.get('shoal_pipeline')!r} is not supported.", "file"
        )
    return document


def remap_catalog(document: dict[str, Any], local: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The graph with ids rewritten by name: `local` = {"service": {name: id}, "plugin": …}.

    Ids the file does not name, or names this Shoal lacks, stay as they are (the save's checks
    then say which node refers to an unknown service or plugin).
    """
    exported = document.get("catalog") if isinstance(document.get("catalog"), dict) else {}
    nodes = []
    for node in document.get("nodes") or []:
        key = REFERENCE_KEYS.get(node.get("kind")) if isinstance(node, dict) else None
        config = node.get("config") if key else None
        if key and isinstance(config, dict) and key in config:
            names = exported.get(f"{node['kind']}s") or {}
            name = names.get(str(config[key])) if isinstance(names, dict) else None
            if name in local.get(node["kind"], {}):
                node = {**node, "config": {**config, key: local[node["kind"]][name]}}
        nodes.append(node)
    return {
        "nodes": nodes,
        "edges": document.get("edges") or [],
        "layout": document.get("layout") or {},
    }
