"""What request handlers act on: the node's parts that answer requests, built once by app.py.
Handlers get this and the session, never the app (which builds and imports them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.datasets import DatasetCache
from agent.deployments import Deployments
from agent.execs import Execs
from agent.keys import TokenKeys
from agent.logs import LogStreams
from agent.metrics import Metrics
from agent.plugin_images import PluginImageKeeper
from agent.terminals import Terminals


@dataclass(frozen=True)
class HandlerContext:
    deployments: Deployments
    plugin_images: PluginImageKeeper
    logs: LogStreams
    execs: Execs
    terminals: Terminals
    metrics: Metrics
    keys: TokenKeys
    reconcile_soon: Callable[[], None]
    datasets: DatasetCache
