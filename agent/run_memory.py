"""What the steps of each deployment's current run really produced and received, held in memory
only: the real outputs (the disk keeps only the insensitive ones, store.py) and, for each plugin
step, the resolved params and inputs its `apply` got, so its `rollback` gets exactly those.

After an agent restart this process saw nothing: the control plane's copy of the outputs
(`DeploymentSpec.outputs`, `Delete.outputs`) is adopted instead, and rollback params are
resolved again from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Applied:
    params: dict[str, Any]
    inputs: dict[str, dict[str, Any]]


class RunMemory:
    def __init__(self) -> None:
        self._outputs: dict[int, dict[str, dict[str, Any]]] = {}
        self._applied: dict[int, dict[str, Applied]] = {}
        self._seen: set[int] = set()  # deployments whose run this process saw itself

    def start(self, deployment_id: int) -> None:
        """A new run begins: what the last one recorded is no longer true."""
        self._outputs[deployment_id] = {}
        self._applied[deployment_id] = {}
        self._seen.add(deployment_id)

    def record(
        self,
        deployment_id: int,
        step: str,
        outputs: dict[str, Any],
        applied: Applied | None = None,
    ) -> None:
        self._seen.add(deployment_id)
        self._outputs.setdefault(deployment_id, {})[step] = outputs
        if applied is not None:
            self._applied.setdefault(deployment_id, {})[step] = applied

    def adopt(self, deployment_id: int, outputs: dict[str, dict[str, Any]]) -> None:
        """Take the control plane's copy, unless this process saw the run itself."""
        if outputs and deployment_id not in self._seen:
            self._outputs[deployment_id] = {step: dict(o) for step, o in outputs.items()}

    def outputs(self, deployment_id: int) -> dict[str, dict[str, Any]]:
        return dict(self._outputs.get(deployment_id, {}))

    def applied(self, deployment_id: int, step: str) -> Applied | None:
        return self._applied.get(deployment_id, {}).get(step)

    def forget(self, deployment_id: int) -> None:
        self._outputs.pop(deployment_id, None)
        self._applied.pop(deployment_id, None)
        self._seen.discard(deployment_id)
