"""Every message type on the wire: handshake, requests, replies, events (see the package doc)."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

from agent.protocol.data import DataAction, DataResult
from agent.protocol.datasets import DatasetHave, DatasetPut
from agent.protocol.execs import Exec, ExecResult
from agent.protocol.spec import DeploymentSpec, PluginInfo
from agent.protocol.state import (
    DeploymentState,
    DeploymentStatusName,
    NodeCapacity,
    NodeMetrics,
    PluginImageState,
)
from agent.protocol.terminals import TerminalEnded, TerminalOutput
from agent.protocol.terminals import TerminalRequest as _Terminal

# ---- handshake


class Hello(Struct, tag="hello", tag_field="type", kw_only=True):
    agent_version: str
    protocol_version: int
    nonce: str  # 32 random bytes, hex
    thumbprint: str
    agent_id: str


class Auth(Struct, tag="auth", tag_field="type", kw_only=True):
    protocol_version: int
    cp_nonce: str
    proof: str


class Welcome(Struct, tag="welcome", tag_field="type", kw_only=True):
    agent_version: str
    protocol_version: int
    agent_id: str
    publish_address: str
    capacity: NodeCapacity
    proof: str  # agent_proof(key, nonce, cp_nonce, thumbprint): the agent knows the token too


class AuthFailed(Struct, tag="auth_failed", tag_field="type", kw_only=True):
    message: str = "authentication failed"


class Incompatible(Struct, tag="incompatible", tag_field="type", kw_only=True):
    agent_protocol_version: int
    message: str


# ---- requests (CP → agent), each answered by one reply with the same id


class Deploy(Struct, tag="deploy", tag_field="type", kw_only=True):
    id: int
    spec: DeploymentSpec


class Delete(Struct, tag="delete", tag_field="type", kw_only=True):
    """Delete a deployment; during a run this cancels the current step and rolls back.
    `secrets` and `outputs` (the real outputs of the steps that succeeded) are for plugin
    rollbacks when the agent restarted since the deploy (memory only)."""

    id: int
    deployment_id: int
    secrets: dict[str, str] = {}
    outputs: dict[str, dict[str, Any]] = {}


class Sleep(Struct, tag="sleep", tag_field="type", kw_only=True):
    """Stop a running deployment's containers (not remove them: their volumes and config stay)
    and report it `sleeping`. Added after protocol 2: an older agent answers `unknown_type`."""

    id: int
    deployment_id: int


class Wake(Struct, tag="wake", tag_field="type", kw_only=True):
    """Start a sleeping deployment's containers again and report it `running`; a wake that
    fails stops what it started and reports `sleeping` with the error (never half-started)."""

    id: int
    deployment_id: int


class Sync(Struct, tag="sync", tag_field="type", kw_only=True):
    """The full desired state: every deployment that should exist on this node. Missing ones
    are deployed, others deleted; a run cut short by an agent restart is rolled back and run
    again; one that failed here stays failed (send `deploy` to retry). Specs may leave secrets
    and credentials out for deployments the agent already has."""

    id: int
    deployments: list[DeploymentSpec]
    plugins: list[PluginInfo] = []
    # Deployments the control plane wants but cannot build a spec for now (a secret it cannot
    # decrypt): kept as they are if the agent has them, never deployed. Added after protocol 2,
    # with a default, so either side may be older.
    keep: list[int] = []


class GetState(Struct, tag="state", tag_field="type", kw_only=True):
    id: int


class Logs(Struct, tag="logs", tag_field="type", kw_only=True):
    id: int  # also the stream_id of the log events it produces
    deployment_id: int
    step: str
    tail: int = 100
    follow: bool = False
    # Both added after protocol 2, with defaults, so either side may be older.
    since: float = 0.0  # Unix seconds: only lines stamped at or after it (then `tail` is ignored)
    timestamps: bool = False  # stamp each LogLine with Docker's time of the line


class LogsStop(Struct, tag="logs_stop", tag_field="type", kw_only=True):
    id: int
    stream_id: int


class GetMetrics(Struct, tag="metrics", tag_field="type", kw_only=True):
    id: int


class UpdatePlugins(Struct, tag="plugins", tag_field="type", kw_only=True):
    """The catalog's plugin list changed (sent to every connected agent at once; `sync` carries
    it too): the agent pulls the images it lacks in the background and reports `plugin_images`."""

    id: int
    plugins: list[PluginInfo]


class RotateToken(Struct, tag="rotate_token", tag_field="type", kw_only=True):
    id: int
    new_key: str  # sha256(new token) hex; the old token stops working at once


Request = (
    Deploy
    | Delete
    | Sleep
    | Wake
    | Sync
    | GetState
    | Logs
    | LogsStop
    | GetMetrics
    | UpdatePlugins
    | RotateToken
    | Exec
    | _Terminal
    | DataAction
    | DatasetPut
)


# ---- replies (agent → CP)


class Ok(Struct, tag="ok", tag_field="type", kw_only=True):
    id: int


class ErrorReply(Struct, tag="error", tag_field="type", kw_only=True):
    id: int | None  # None when the request's id could not be read
    code: Literal["malformed", "unknown_type", "too_large", "invalid", "not_found", "internal"]
    message: str


class DeploymentsReply(Struct, tag="deployments", tag_field="type", kw_only=True):
    id: int
    deployments: list[DeploymentState]


class MetricsReply(Struct, tag="metrics_result", tag_field="type", kw_only=True):
    id: int
    metrics: NodeMetrics


Reply = Ok | ErrorReply | DeploymentsReply | MetricsReply | ExecResult | DataResult | DatasetHave


# ---- events (agent → CP, unsolicited)


class StepStarted(Struct, tag="step_started", tag_field="type", kw_only=True):
    deployment_id: int
    step: str
    action: Literal["apply", "rollback"] = "apply"


class StepFinished(Struct, tag="step_finished", tag_field="type", kw_only=True):
    deployment_id: int
    step: str
    action: Literal["apply", "rollback"] = "apply"
    ok: bool
    outputs: dict[str, Any] = {}
    error: str = ""
    duration_s: float = 0.0
    # A plugin run's stderr: the last STEP_LOG_BYTES, secrets masked (empty for services).
    log: str = ""


class DeploymentStatus(Struct, tag="deployment_status", tag_field="type", kw_only=True):
    deployment_id: int
    status: DeploymentStatusName
    error: str = ""
    ports: dict[str, int] = {}
    publish_address: str = ""


class PullProgress(Struct, tag="pull_progress", tag_field="type", kw_only=True):
    deployment_id: int
    image: str
    status: str


class LogLine(Struct, tag="log", tag_field="type", kw_only=True):
    deployment_id: int
    step: str
    line: str
    source: Literal["stdout", "stderr"] = "stdout"
    stream_id: int | None = None  # the Logs request id; None for live plugin stderr
    time: str = ""  # Docker's RFC 3339 stamp (UTC, nanoseconds) when the request asked for them


class LogsEnded(Struct, tag="logs_end", tag_field="type", kw_only=True):
    stream_id: int
    reason: str = ""


class Heartbeat(Struct, tag="heartbeat", tag_field="type", kw_only=True):
    metrics: NodeMetrics


class PluginImages(Struct, tag="plugin_images", tag_field="type", kw_only=True):
    """Every catalog plugin image's state on this node, sent whole whenever one changes."""

    images: list[PluginImageState]


Event = (
    StepStarted
    | StepFinished
    | DeploymentStatus
    | PullProgress
    | LogLine
    | LogsEnded
    | Heartbeat
    | PluginImages
    | TerminalOutput
    | TerminalEnded
)
Handshake = Hello | Auth | Welcome | AuthFailed | Incompatible
Message = Handshake | Request | Reply | Event

__all__ = [
    "Auth",
    "AuthFailed",
    "Delete",
    "Deploy",
    "DeploymentStatus",
    "DeploymentsReply",
    "ErrorReply",
    "Event",
    "GetMetrics",
    "GetState",
    "Handshake",
    "Heartbeat",
    "Hello",
    "Incompatible",
    "LogLine",
    "Logs",
    "LogsEnded",
    "LogsStop",
    "Message",
    "MetricsReply",
    "Ok",
    "PluginImages",
    "PullProgress",
    "Reply",
    "Request",
    "RotateToken",
    "Sleep",
    "StepFinished",
    "StepStarted",
    "Sync",
    "UpdatePlugins",
    "Wake",
    "Welcome",
]
