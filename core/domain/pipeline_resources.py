"""Does a pipeline fit its project's CPU/RAM limit? The save-time twin of agent/plan.py.

The agent refuses a plan unless the services' limits plus the largest set of plugins that run
at the same time (one layer) fit the project's limit; here every share is known (a service
node's own value, else its catalog default; a plugin's catalog value), so an admin learns at
save time, on the nodes concerned, what a deployment would otherwise fail on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.domain.pipeline import Graph, Issue, PluginSettings, ServiceSettings, layers

if TYPE_CHECKING:
    from core.domain.pipeline_facts import Facts


def shares(settings: dict, facts: Facts) -> dict[str, tuple[float, int]]:
    """node id → (cpu, memory_mb) for the nodes whose catalog entry is known."""
    found: dict[str, tuple[float, int]] = {}
    for node_id, typed in settings.items():
        if isinstance(typed, ServiceSettings) and typed.service_id in facts.services:
            catalog = facts.services[typed.service_id]
            found[node_id] = (
                typed.cpu if typed.cpu is not None else catalog.cpu,
                typed.memory_mb if typed.memory_mb is not None else catalog.memory_mb,
            )
        elif isinstance(typed, PluginSettings) and typed.plugin_id in facts.plugins:
            plugin = facts.plugins[typed.plugin_id]
            found[node_id] = (plugin.cpu, plugin.memory_mb)
    return found


def resource_issues(graph: Graph, settings: dict, facts: Facts) -> list[Issue]:
    share = shares(settings, facts)
    services = [n for n, s in settings.items() if isinstance(s, ServiceSettings) and n in share]
    plugin_ids = {n for n, s in settings.items() if isinstance(s, PluginSettings) and n in share}
    heaviest: dict[int, list[str]] = {0: [], 1: []}  # per resource index: the busiest layer
    peak = [0.0, 0.0]
    for layer in layers(graph):
        running = [n for n in layer if n in plugin_ids]
        for index in (0, 1):
            total = sum(share[n][index] for n in running)
            if total > peak[index]:
                peak[index], heaviest[index] = total, running
    issues: list[Issue] = []
    resources = (
        (0, facts.cpu, "CPU", "config.cpu"),
        (1, facts.memory_mb, "MB RAM", "config.memory_mb"),
    )
    for index, limit, unit, setting in resources:
        asked = sum(share[n][index] for n in services)
        if asked + peak[index] <= limit + 1e-9:
            continue
        message = (
            f"The pipeline asks {asked + peak[index]:g} {unit} (services {asked:g}, plugins "
            f"running together {peak[index]:g}), over the project's limit of {limit:g} {unit}"
        )
        for node_id in [*services, *heaviest[index]]:
            text = f"{message}; this node asks {share[node_id][index]:g} {unit}."
            # a service node may set its own share; a plugin's comes from the catalog
            issues.append(Issue(node_id, text, setting if node_id in services else None))
    return issues
