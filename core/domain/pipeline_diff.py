"""A readable difference between two pipeline graphs: what a reviewer asks first.

Nodes added and removed, edges added and removed, and per kept node each setting that
changed as `path: old → new` (paths like `env.DB_URL` or `params.script`). Moving a node on
the canvas is reported once, not per coordinate.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

MISSING = object()
MAX_VALUE_TEXT = 80


class NodeChange(Struct):
    id: str
    changes: list[str]


class GraphDiff(Struct, kw_only=True):
    old_version: int
    new_version: int
    nodes_added: list[str] = []
    nodes_removed: list[str] = []
    nodes_changed: list[NodeChange] = []
    edges_added: list[str] = []
    edges_removed: list[str] = []
    layout_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.nodes_added
            or self.nodes_removed
            or self.nodes_changed
            or self.edges_added
            or self.edges_removed
        )


def _flatten(value: Any, path: str, into: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _flatten(value[key], f"{path}.{key}" if path else str(key), into)
    else:
        into[path] = value
    return into


def _show(value: Any) -> str:
    if value is MISSING:
        return "(unset)"
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= MAX_VALUE_TEXT else text[: MAX_VALUE_TEXT - 1] + "…"


def node_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    if old.get("kind") != new.get("kind"):
        changes.append(f"kind: {old.get('kind')} → {new.get('kind')}")
    before = _flatten(old.get("config") or {}, "", {})
    after = _flatten(new.get("config") or {}, "", {})
    for path in sorted(before.keys() | after.keys()):
        was, now = before.get(path, MISSING), after.get(path, MISSING)
        if was != now:
            changes.append(f"{path}: {_show(was)} → {_show(now)}")
    return changes


def _edges(graph: dict[str, Any]) -> list[str]:
    return [f"{e.get('from')} → {e.get('to')}" for e in graph.get("edges") or []]


def diff_graphs(old: dict[str, Any], new: dict[str, Any], old_v: int, new_v: int) -> GraphDiff:
    old_nodes = {n["id"]: n for n in old.get("nodes") or []}
    new_nodes = {n["id"]: n for n in new.get("nodes") or []}
    changed = []
    for node_id in new_nodes:
        if node_id in old_nodes:
            changes = node_changes(old_nodes[node_id], new_nodes[node_id])
            if changes:
                changed.append(NodeChange(node_id, changes))
    old_edges, new_edges = _edges(old), _edges(new)
    return GraphDiff(
        old_version=old_v,
        new_version=new_v,
        nodes_added=[n for n in new_nodes if n not in old_nodes],
        nodes_removed=[n for n in old_nodes if n not in new_nodes],
        nodes_changed=changed,
        edges_added=[e for e in new_edges if e not in old_edges],
        edges_removed=[e for e in old_edges if e not in new_edges],
        layout_changed=(old.get("layout") or {}) != (new.get("layout") or {}),
    )
