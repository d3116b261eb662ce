"""Data actions on a database a deployment's plugin step made (docs/data.md): save a
checkpoint, reset to one, drop one, read the disk use.

    CP → agent   DataAction{id, deployment_id, step, action, checkpoint}
    agent → CP   DataResult{id, ok, outputs, error, log, duration_s}  |  ErrorReply (not_found:
                 no such deployment or step; invalid: the deployment is not running)

The agent runs the step's plugin with that `action` (and `data: {"checkpoint": name}`) under
the deployment's lock, with the services that depend on the step stopped meanwhile for a
checkpoint or a reset, and started again after, whatever the plugin's outcome. Added after
protocol 2: an older agent answers `unknown_type`. When a checkpoint's or reset's outputs have
`"prepare": true`, the agent runs `prepare_reset` itself afterwards, in the background under the
same lock (a spare copy for the next reset, docs/plugins.md); the control plane never sends it.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

DataActionName = Literal["checkpoint", "reset", "drop_checkpoint", "usage", "prepare_reset"]
# Actions that copy from the database or replace it: its clients must be gone meanwhile.
SWAPPING: frozenset[str] = frozenset({"checkpoint", "reset"})


class DataAction(Struct, tag="data_action", tag_field="type", kw_only=True):
    id: int
    deployment_id: int
    step: str  # the plugin node whose database it is
    action: DataActionName
    checkpoint: str = ""


class DataResult(Struct, tag="data_result", tag_field="type", kw_only=True):
    id: int
    ok: bool
    outputs: dict[str, Any] = {}
    error: str = ""
    log: str = ""  # the plugin's stderr, masked as a step's is
    duration_s: float = 0.0
    stopped: list[str] = []  # the services stopped meanwhile and started again


__all__ = ["SWAPPING", "DataAction", "DataActionName", "DataResult"]
