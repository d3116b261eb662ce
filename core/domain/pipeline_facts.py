"""What the pipeline checks know of the catalog and the project: each service's and plugin's
settings, the project's secret names and limits (loaded by core.services.pipelines)."""

from __future__ import annotations

from msgspec import Struct

from core.domain import plugin_outputs


class ServiceFacts(Struct, kw_only=True):
    name: str
    cpu: float
    memory_mb: int
    port: int | None = None


class PluginFacts(Struct, kw_only=True):
    name: str
    image: str
    tag: str
    registry_id: int | None = None
    param_schema: dict = {}
    cpu: float = 0.5
    memory_mb: int = 256

    @property
    def outputs(self) -> list[str] | None:
        """Declared in the schema as "x-outputs": [...]; None = undeclared, any key goes."""
        return plugin_outputs.declared_outputs(self.param_schema)


class Facts(Struct, kw_only=True):
    services: dict[int, ServiceFacts]
    plugins: dict[int, PluginFacts]
    secrets: frozenset[str] = frozenset()
    cpu: float = 2.0
    memory_mb: int = 2048
