"""What each deployment's runs need but the disk must never see, held in memory only for as long
as the deployment lives here: its secrets and registry credentials (plugin rollbacks and a
re-created service need them too), the real outputs of its current run's steps (the disk keeps
only the insensitive ones, store.py) and, for each plugin step, the resolved params and inputs
its `apply` got, so its `rollback` gets exactly those.

After an agent restart this process saw nothing: the control plane's copy of the outputs
(`DeploymentSpec.outputs`, `Delete.outputs`) is adopted instead, and rollback params are
resolved again from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from agent.protocol import DeploymentSpec, RegistryCredential


@dataclass(frozen=True)
class Applied:
    params: dict[str, Any]
    inputs: dict[str, dict[str, Any]]


class RunMemory:
    def __init__(self) -> None:
        self._outputs: dict[int, dict[str, dict[str, Any]]] = {}
        self._applied: dict[int, dict[str, Applied]] = {}
        self._seen: set[int] = set()  # deployments whose run this process saw itself
        self._secrets: dict[int, dict[str, str]] = {}
        self._credentials: dict[int, list[RegistryCredential]] = {}

    def remember(self, spec: DeploymentSpec) -> None:
        """Keep what a spec brings for memory only. A sync that leaves secrets or credentials
        out does not erase the ones already known."""
        if spec.secrets or spec.id not in self._secrets:
            self._secrets[spec.id] = dict(spec.secrets)
        if spec.registry_credentials:
            self._credentials[spec.id] = list(spec.registry_credentials)
        self.adopt(spec.id, spec.outputs)

    def remember_secrets(self, deployment_id: int, secrets: dict[str, str]) -> None:
        if secrets:
            self._secrets[deployment_id] = dict(secrets)

    def secrets(self, deployment_id: int) -> dict[str, str]:
        return self._secrets.get(deployment_id, {})

    def complete(self, spec: DeploymentSpec) -> DeploymentSpec:
        """`spec` (as the store keeps it) with the secrets and credentials known in memory."""
        return msgspec.structs.replace(
            spec,
            secrets=self._secrets.get(spec.id, {}),
            registry_credentials=self._credentials.get(spec.id, []),
        )

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
        self._secrets.pop(deployment_id, None)
        self._credentials.pop(deployment_id, None)
