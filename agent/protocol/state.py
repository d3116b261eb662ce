"""Reported state: deployments, steps and node metrics, as replies and heartbeats carry them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from agent.protocol.spec import Limits

DeploymentStatusName = Literal["deploying", "running", "sleeping", "failed", "deleting", "deleted"]


class StepState(Struct, kw_only=True):
    step: str
    status: Literal["running", "succeeded", "failed", "rolled_back"]
    error: str = ""
    outputs: dict[str, Any] = {}


class DeploymentState(Struct, kw_only=True):
    deployment_id: int
    status: DeploymentStatusName
    pipeline_version: int
    error: str = ""
    ports: dict[str, int] = {}  # service node id → published host port
    publish_address: str = ""
    steps: list[StepState] = []


class PluginImageState(Struct, kw_only=True):
    """One catalog plugin image on this node: `present`, being pulled, or `failed` (`error`
    says why, e.g. the registry refused the credentials or could not be reached)."""

    name: str
    image: str
    state: Literal["present", "pulling", "failed"]
    error: str = ""


# What an agent may claim: a node larger than this is a lie meant to attract deployments.
MAX_NODE_CPUS = 4096
MAX_NODE_MEMORY_MB = 64 * 1024 * 1024  # 64 TiB


class NodeCapacity(Struct, kw_only=True):
    cpus: Annotated[float, Meta(gt=0, le=MAX_NODE_CPUS)]
    memory_mb: Annotated[int, Meta(gt=0, le=MAX_NODE_MEMORY_MB)]


class ServiceUsage(Struct, kw_only=True):
    cpu_percent: float  # 100 = one full CPU
    memory_mb: float


class DeploymentUsage(Struct, kw_only=True):
    containers: int
    cpu_percent: float  # 100 = one full CPU
    memory_mb: float
    limits: Limits
    # Per service container (pipeline node id). Defaults to empty, so agents that do not send
    # it and control planes that do not read it still understand each other.
    services: dict[str, ServiceUsage] = {}
    # Bytes its running containers sent + received so far, loopback left out (idle detection);
    # None when the agent cannot read them. Optional both ways, like `services`.
    net_bytes: int | None = None


class NodeMetrics(Struct, kw_only=True):
    capacity: NodeCapacity
    cpu_busy_percent: float  # whole node, 100 = every CPU busy
    memory_available_mb: int
    disk_total_mb: int
    disk_free_mb: int
    docker: Literal["ok", "unavailable"]
    docker_version: str = ""
    allocated: Limits  # sum of the limits of the deployments living here
    deployments: dict[int, DeploymentUsage] = {}


__all__ = [
    "DeploymentState",
    "DeploymentStatusName",
    "DeploymentUsage",
    "NodeCapacity",
    "NodeMetrics",
    "PluginImageState",
    "ServiceUsage",
    "StepState",
]
