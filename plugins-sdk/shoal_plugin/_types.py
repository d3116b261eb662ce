"""The plugin contract (DESIGN §6) as one short file: what arrives on stdin, what leaves on stdout.

stdin, one JSON document written by the agent::

    {"action": "apply" | "rollback",
     "deployment": {"id": int, "name": str, "environment": str, "urls": {node id: url},
                    "pipeline_version": int},
     "params": {...}, "secrets": {name: str}, "inputs": {...}}

stdout, one JSON object: ``{"outputs": {...}}`` on success, or on failure
``{"error": {"type": str, "message": str, "fields": {name: problem}}}`` ("fields" only for
invalid input). Logs go to stderr. Exit codes are below; anything but 0 fails the step, as do
invalid JSON on stdout, an output that is not an object, and a timeout.

Outputs are declared beside the params schema: ``"x-outputs"`` (the keys) and
``"x-secret-outputs"`` (the keys holding a secret, masked for read-level users and kept off the
agent's disk; a Python plugin sets ``OUTPUTS`` and ``SECRET_OUTPUTS`` in its module).
``rollback`` gets the params and ``inputs`` its ``apply`` got, secret values included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID_INPUT = 2
# A runner that stops a plugin with SIGTERM sees 128 + 15, as from any Unix program.
EXIT_TERMINATED = 143

Action = Literal[
    "apply", "rollback", "checkpoint", "reset", "drop_checkpoint", "usage", "prepare_reset"
]
# Data actions act on what a succeeded apply made (a database) while the deployment runs; a
# plugin declares the ones it offers (``DATA_ACTIONS`` → ``"x-data-actions"`` in its schema)
# and gets the checkpoint's name in ``data`` (docs/plugins.md, "Data actions").
DATA_ACTIONS: tuple[Action, ...] = (
    "checkpoint",
    "reset",
    "drop_checkpoint",
    "usage",
    "prepare_reset",  # optional: the agent runs it after a checkpoint or reset that asks for it
)
ACTIONS: tuple[Action, ...] = ("apply", "rollback", *DATA_ACTIONS)


@dataclass(frozen=True, slots=True)
class Deployment:
    """The deployment a step runs for; ``urls`` maps service node ids to public URLs."""

    id: int = 0
    name: str = ""
    environment: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    pipeline_version: int = 0


@dataclass(frozen=True, slots=True)
class Invocation:
    """The stdin document, checked, with ``params`` still raw (the plugin's class checks them)."""

    action: Action
    deployment: Deployment
    params: dict[str, Any]
    secrets: dict[str, str]
    inputs: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)  # a data action's argument (checkpoint)


def invocation_document(
    action: Action,
    params: dict[str, Any] | None = None,
    *,
    deployment: Deployment | None = None,
    secrets: dict[str, str] | None = None,
    inputs: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The stdin document as the agent writes it; for local runs and tests."""
    deployment = deployment or Deployment()
    return {
        "action": action,
        "deployment": {
            "id": deployment.id,
            "name": deployment.name,
            "environment": deployment.environment,
            "urls": dict(deployment.urls),
            "pipeline_version": deployment.pipeline_version,
        },
        "params": params or {},
        "secrets": secrets or {},
        "inputs": inputs or {},
        **({"data": data} if data else {}),
    }


def success_document(outputs: dict[str, Any]) -> dict[str, Any]:
    return {"outputs": outputs}


def error_document(
    error_type: str, message: str, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}
