"""Judge a pipeline graph before it is saved: every problem becomes an Issue on its node.

The checks need facts from outside (the catalog, the project's secrets and limits) but do no
I/O: the service gathers `Facts` and passes the JSON Schema checker in, so all of this is
unit-tested with plain values. `check` returns the normalised graph (typed settings, plugin
image/tag frozen from the catalog, layout only for nodes that exist) with the issues.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from core.domain import references
from core.domain.pipeline import (
    KINDS,
    MAX_EDGES,
    MAX_NODES,
    SETTINGS,
    Edge,
    Graph,
    Issue,
    Node,
    PluginSettings,
    ServiceSettings,
    ancestors,
    cycle_through,
    decode,
    layers,
)
from core.domain.pipeline_facts import Facts
from core.domain.pipeline_resources import resource_issues
from core.validation import DNS_LABEL

ParamChecker = Callable[[dict, object], list[str]]
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def check(raw: object, facts: Facts, check_params: ParamChecker) -> tuple[Graph, list[Issue]]:
    try:
        graph = decode(raw)
    except msgspec.ValidationError as exc:
        return Graph(), [Issue(None, f"The graph is not in the expected shape: {exc}")]
    if len(graph.nodes) > MAX_NODES or len(graph.edges) > MAX_EDGES:
        return graph, [Issue(None, f"At most {MAX_NODES} nodes and {MAX_EDGES} edges.")]
    issues: list[Issue] = []
    settings: dict[str, ServiceSettings | PluginSettings] = {}
    seen: set[str] = set()
    for node in graph.nodes:
        issues.extend(_identity(node, seen))
        typed = _settings(node, facts, check_params, issues)
        if typed is not None:
            settings[node.id] = typed
            node.config = msgspec.to_builtins(typed)
    graph.edges = _edges(graph, issues)
    cycles = _cycles(graph)
    issues.extend(cycles)
    issues.extend(_references(graph, settings, facts))
    if not cycles:  # a cycle leaves the run order, and so the plugins' peak, unknown
        issues.extend(resource_issues(graph, settings, facts))
    graph.layout = {n.id: graph.layout[n.id] for n in graph.nodes if n.id in graph.layout}
    return graph, issues


def _identity(node: Node, seen: set[str]) -> list[Issue]:
    found = []
    if not DNS_LABEL.fullmatch(node.id):
        found.append(
            Issue(
                node.id,
                f"'{node.id}' is not a valid node id: use 1-63 lowercase letters, digits or '-', "
                "not starting or ending with '-' (it becomes a host name).",
                "id",
            )
        )
    if node.id in seen:
        text = f"Two nodes are named '{node.id}'; node ids must be unique."
        found.append(Issue(node.id, text, "id"))
    seen.add(node.id)
    if node.kind not in KINDS:
        text = f"Unknown node kind '{node.kind}': use service or plugin."
        found.append(Issue(node.id, text, "kind"))
    return found


def _settings(
    node: Node, facts: Facts, check_params: ParamChecker, issues: list[Issue]
) -> ServiceSettings | PluginSettings | None:
    kind_type = SETTINGS.get(node.kind)
    if kind_type is None:
        return None
    try:
        typed = msgspec.convert(node.config, kind_type)
    except msgspec.ValidationError as exc:
        issues.append(Issue(node.id, f"Invalid settings: {exc}", _config_path(exc)))
        return None
    if isinstance(typed, ServiceSettings):
        issues.extend(_service_issues(node.id, typed, facts))
        return typed
    plugin = facts.plugins.get(typed.plugin_id)
    if plugin is None:
        text = f"Unknown plugin (id {typed.plugin_id}); it was deleted?"
        issues.append(Issue(node.id, text, "config.plugin_id"))
        return typed
    typed.image, typed.tag = plugin.image, plugin.tag  # frozen into this version
    typed.registry_id = plugin.registry_id
    hidden = _reference_paths(typed.params)
    for problem in check_params(plugin.param_schema, typed.params):
        path = problem.split(": ", 1)[0]
        if path not in hidden:
            where = "" if path == "(root)" else "." + path.replace("/", ".")
            issues.append(Issue(node.id, f"Parameter {problem}", f"config.params{where}"))
    return typed


def _config_path(exc: msgspec.ValidationError) -> str:
    """`config.port` from msgspec's "… - at `$.port`"; `config` when it names no path."""
    found = re.search(r"at `\$((?:\.|\[)[^`]*)`", str(exc))
    return "config" + found.group(1) if found else "config"


def _service_issues(node_id: str, typed: ServiceSettings, facts: Facts) -> list[Issue]:
    found = []
    if typed.service_id not in facts.services:
        text = f"Unknown service (id {typed.service_id}); it was deleted?"
        found.append(Issue(node_id, text, "config.service_id"))
    if typed.port is not None and not 1 <= typed.port <= 65535:
        found.append(Issue(node_id, "The port must be between 1 and 65535.", "config.port"))
    if typed.cpu is not None and not 0.01 <= typed.cpu <= 256:
        found.append(Issue(node_id, "CPU must be between 0.01 and 256 cores.", "config.cpu"))
    if typed.memory_mb is not None and not 8 <= typed.memory_mb <= 1024 * 1024:
        found.append(Issue(node_id, "Memory must be between 8 MB and 1 TB.", "config.memory_mb"))
    if typed.health_check and not typed.health_check.path.startswith("/"):
        text = "The health check path must start with '/'."
        found.append(Issue(node_id, text, "config.health_check.path"))
    for name in typed.env:
        if not ENV_NAME.fullmatch(name):
            text = f"'{name}' is not a valid environment variable name."
            found.append(Issue(node_id, text, "config.env"))
    return found


def _reference_paths(params: dict[str, Any]) -> set[str]:
    """Params whose value holds a reference: their type is only known at run time."""
    return {
        path.replace(".", "/").replace("[", "/").replace("]", "")
        for path, text in references.walk_strings(params)
        if references.OPEN in text
    }


def _edges(graph: Graph, issues: list[Issue]) -> list[Edge]:
    ids = {node.id for node in graph.nodes}
    kept: list[Edge] = []
    for edge in graph.edges:
        missing = [end for end in (edge.source, edge.target) if end not in ids]
        if missing:
            known = next((end for end in (edge.source, edge.target) if end in ids), None)
            text = f"The edge {edge.source} → {edge.target} names no node '{missing[0]}'."
            issues.append(Issue(known, text, edge=edge))
        elif edge not in kept:  # a repeated edge means nothing more
            kept.append(edge)
    return kept


def _cycles(graph: Graph) -> list[Issue]:
    ordered = {node_id for layer in layers(graph) for node_id in layer}
    found = []
    for node in graph.nodes:
        if node.id in ordered:
            continue
        path = cycle_through(graph, node.id)
        if path:
            found.append(Issue(node.id, f"'{node.id}' is in a cycle: {' → '.join(path)}."))
    return found


def _references(
    graph: Graph, settings: dict[str, ServiceSettings | PluginSettings], facts: Facts
) -> list[Issue]:
    kinds = {node.id: node.kind for node in graph.nodes}
    before = ancestors(graph)
    found: list[Issue] = []
    for node in graph.nodes:
        refs, problems = references.scan(node.config)
        found.extend(Issue(node.id, text, _config_field(where)) for where, text in problems)
        for where, ref in refs:
            message = _reference_problem(node.id, ref, kinds, before, settings, facts)
            if message:
                found.append(Issue(node.id, f"{where}: {message}", _config_field(where)))
    return found


def _config_field(where: str) -> str:
    return f"config.{where}" if where else "config"


def _reference_problem(
    node_id: str,
    ref: references.Reference,
    kinds: dict[str, str],
    before: dict[str, set[str]],
    settings: dict[str, ServiceSettings | PluginSettings],
    facts: Facts,
) -> str | None:
    """What is wrong with one reference made by `node_id`, or None."""
    if ref.kind == "secrets" and ref.name not in facts.secrets:
        return f"{ref} names no secret of this project."
    if ref.kind not in ("nodes", "urls"):
        return None
    if ref.name not in kinds:
        return f"{ref} names no node of this pipeline."
    if ref.kind == "urls":
        if kinds[ref.name] != "service":
            return f"{ref}: '{ref.name}' is a plugin; only service nodes have URLs."
        return _url_problem(ref, settings.get(ref.name), facts)
    if ref.name == node_id:
        return f"{ref}: a node cannot use its own outputs."
    if ref.name not in before.get(node_id, set()):
        return (
            f"{ref}: '{ref.name}' does not run before '{node_id}'; "
            f"connect {ref.name} → {node_id} (directly or through other nodes)."
        )
    if kinds[ref.name] == "service":
        return f"{ref}: '{ref.name}' is a service; only plugins have outputs."
    typed = settings.get(ref.name)
    plugin = facts.plugins.get(typed.plugin_id) if isinstance(typed, PluginSettings) else None
    outputs = plugin.outputs if plugin else None
    if outputs is not None and ref.key not in outputs:
        offered = ", ".join(outputs) or "none"
        return f"{ref}: plugin '{plugin.name}' has no output '{ref.key}' (it has: {offered})."
    return None


def _url_problem(ref: references.Reference, typed: Any, facts: Facts) -> str | None:
    if not isinstance(typed, ServiceSettings):
        return None
    catalog = facts.services.get(typed.service_id)
    port = typed.port if typed.port is not None else (catalog.port if catalog else None)
    if catalog is not None and port is None:
        return f"{ref}: '{ref.name}' exposes no port, so it has no URL."
    return None
