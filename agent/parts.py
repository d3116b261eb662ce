"""The few things the deployment work of this node touches, built once by app.py: the settings,
the persisted state, Docker (behind the Engine protocol), the outbound event sink and what is held
in memory only. Deployments, the pipeline runner, teardown and reconcile take these and nothing
else (not the server, the keys or each other), so a unit test builds them from a fake Engine, a
throwaway Store and a list for the events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from msgspec import Struct

from agent.config import AgentConfig
from agent.engine import Engine
from agent.run_memory import RunMemory
from agent.store import Store


@dataclass(frozen=True)
class Parts:
    config: AgentConfig
    store: Store
    engine: Engine
    emit: Callable[[Struct], None]  # EventBus.emit: to the control plane, buffered meanwhile
    memory: RunMemory
