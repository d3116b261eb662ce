"""The pipeline graph stored in a version: nodes, "after" edges, layout; order and ancestry.

    {"nodes": [{"id": "db", "kind": "service", "config": {"service_id": 3, "port": 5432}},
               {"id": "migrate", "kind": "plugin",
                "config": {"plugin_id": 5, "params": {...}, "image": "x/y", "tag": "1.2",
                           "registry_id": 1}}],
     "edges": [{"from": "db", "to": "migrate"}],
     "layout": {"db": {"x": 10, "y": 20}}}

A node id is a DNS label: it becomes the container's hostname on the deployment network and
the first label of its public URL. A node runs when all its predecessors succeeded, so the
graph must be acyclic; `layers` gives the order. Service settings left out of a node fall
back to the catalog service's (env is merged key by key, the node winning). Plugin `image`,
`tag` and `registry_id` are copied from the catalog at save time and never change afterwards.
The rules that judge a graph live in core.domain.pipeline_checks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Struct, field

MAX_NODES = 200
MAX_EDGES = 1000
KINDS = ("service", "plugin")


class Position(Struct):
    x: float = 0.0
    y: float = 0.0


class Node(Struct, kw_only=True):
    id: str
    kind: str
    config: dict[str, Any] = {}


class Edge(Struct, frozen=True):
    source: str = field(name="from")
    target: str = field(name="to")


class Graph(Struct, kw_only=True):
    nodes: list[Node] = []
    edges: list[Edge] = []
    layout: dict[str, Position] = {}


class HealthCheck(Struct, kw_only=True, forbid_unknown_fields=True):
    type: Literal["tcp", "http", "none"] = "tcp"
    path: str = "/"
    timeout_s: float = 60.0


class VolumeMount(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A volume of the deployment, shared by every node that names it, mounted at `path`;
    created with the deployment's first run and removed with the deployment."""

    name: Annotated[str, msgspec.Meta(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")]
    path: Annotated[str, msgspec.Meta(pattern=r"^/[^\x00]{0,4095}$")]
    read_only: bool = False


class ServiceSettings(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """None / empty = the catalog service's value."""

    service_id: int
    port: int | None = None
    env: dict[str, str] = {}
    health_check: HealthCheck | None = None
    cpu: float | None = None
    memory_mb: int | None = None
    command: str = ""
    entrypoint: str = ""  # "" = the image's own
    volumes: list[VolumeMount] = []


class PluginSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    plugin_id: int
    params: dict[str, Any] = {}
    image: str = ""  # image, tag and registry are frozen from the catalog at save
    tag: str = ""
    registry_id: int | None = None


class Issue(Struct, frozen=True):
    """One reason a graph cannot be saved; `node` = the node id it is about (None = the graph).

    `field` is where in that node, as the editor's panel names its inputs (`id`, `config.port`,
    `config.env.DB_URL`, `config.params.script`); `edge` the edge it is about, if any.
    """

    node: str | None
    message: str
    field: str | None = None
    edge: Edge | None = None


SETTINGS = {"service": ServiceSettings, "plugin": PluginSettings}


def decode(raw: object) -> Graph:
    """The graph's shape (not its meaning); msgspec.ValidationError names the bad path."""
    return msgspec.convert(raw, Graph)


def to_builtins(graph: Graph) -> dict[str, Any]:
    return msgspec.to_builtins(graph)


def predecessors(graph: Graph) -> dict[str, set[str]]:
    preds: dict[str, set[str]] = {node.id: set() for node in graph.nodes}
    for edge in graph.edges:
        if edge.target in preds and edge.source in preds:
            preds[edge.target].add(edge.source)
    return preds


def layers(graph: Graph) -> list[list[str]]:
    """Node ids in run order, one list per step; nodes on or after a cycle are left out."""
    preds = predecessors(graph)
    done: set[str] = set()
    order: list[list[str]] = []
    while True:
        ready = [n.id for n in graph.nodes if n.id not in done and preds[n.id] <= done]
        if not ready:
            return order
        order.append(ready)
        done.update(ready)


def ancestors(graph: Graph) -> dict[str, set[str]]:
    """Every node that must finish before each node (predecessors, their predecessors, …)."""
    preds = predecessors(graph)
    found: dict[str, set[str]] = {}
    for start in preds:
        seen: set[str] = set()
        stack = list(preds[start])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(preds[current])
        found[start] = seen
    return found


def cycle_through(graph: Graph, node_id: str) -> list[str] | None:
    """One cycle that starts and ends at node_id, as a path of ids; None if there is none."""
    succ: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        if edge.source in succ and edge.target in succ:
            succ[edge.source].append(edge.target)
    stack: list[tuple[str, list[str]]] = [(node_id, [node_id])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        for nxt in succ[current]:
            if nxt == node_id:
                return [*path, node_id]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
