"""The deployment spec: what the control plane resolves and sends in `deploy` and `sync`."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct, field

from agent.protocol.datasets import DatasetRef


class HealthCheck(Struct, kw_only=True):
    type: Literal["tcp", "http"] = "tcp"
    path: str = "/"
    timeout_s: float = 60.0


class Volume(Struct, kw_only=True):
    """A volume of the deployment (created on first use, removed with the deployment)."""

    name: str  # unique within the deployment
    path: str  # where the service's container mounts it
    read_only: bool = False


class ServiceConfig(Struct, kw_only=True):
    port: int | None = None  # container port, published on the node's publish address
    env: dict[str, str] = {}
    command: list[str] | str | None = None
    entrypoint: list[str] | str | None = None  # None = the image's own
    health_check: HealthCheck | None = None
    cpu: float | None = None  # None: an equal share of what the project limit leaves
    memory_mb: int | None = None
    # On top of the agent's defaults for services (no-new-privileges, a pids limit):
    cap_add: list[str] = []  # Docker capability names, e.g. NET_ADMIN
    cap_drop: list[str] = []  # ALL drops every capability
    user: str = ""  # "user[:group]" or "uid[:gid]"; "" = the image's own user
    volumes: list[Volume] = []  # older agents ignore it (and keep data in the container)


class PluginConfig(Struct, kw_only=True):
    params: dict[str, Any] = {}
    timeout_s: float = 300.0
    cpu: float | None = None
    memory_mb: int | None = None
    join_network: bool = False
    # Output keys the plugin's schema marks secret ("x-secret-outputs"): never on the agent's disk.
    secret_outputs: list[str] = []
    # The dataset the step seeds from: the agent mounts its file read-only into the plugin's
    # container and names it in the document's `data.dataset` (protocol.datasets, docs/data.md).
    dataset: DatasetRef | None = None


class ServiceNode(Struct, tag="service", tag_field="kind", kw_only=True):
    id: str
    image: str  # full reference registry-host/repo:tag, tag already chosen
    config: ServiceConfig = field(default_factory=ServiceConfig)


class PluginNode(Struct, tag="plugin", tag_field="kind", kw_only=True):
    id: str
    image: str
    config: PluginConfig = field(default_factory=PluginConfig)


class Edge(Struct, kw_only=True):
    source: str = field(name="from")
    target: str = field(name="to")


class Limits(Struct, kw_only=True):
    cpu: float
    memory_mb: int


class RegistryCredential(Struct, kw_only=True):
    registry: str  # host[:port] as it appears at the start of an image reference
    username: str
    password: str


class DeploymentSpec(Struct, kw_only=True):
    id: int
    name: str
    environment: str
    limits: Limits
    pipeline_version: int
    nodes: list[ServiceNode | PluginNode]
    edges: list[Edge] = []
    urls: dict[str, str] = {}  # service node id → public URL, for ${{ urls.x }}
    secrets: dict[str, str] = {}  # memory only on the agent
    registry_credentials: list[RegistryCredential] = []
    # The real outputs of the steps of the current run that succeeded, as the CP recorded them:
    # what a rollback or a restored service needs after an agent restart. Memory only, like
    # secrets (the agent prefers what it saw itself during this process's life).
    outputs: dict[str, dict[str, Any]] = {}


class PluginInfo(Struct, kw_only=True):
    """A catalog plugin the node should have ready: its image is pulled ahead of any run.
    `credentials` (None for a public registry) stay in the agent's memory, never on its disk."""

    name: str
    image: str
    credentials: RegistryCredential | None = None


__all__ = [
    "DeploymentSpec",
    "Edge",
    "HealthCheck",
    "Limits",
    "PluginConfig",
    "PluginInfo",
    "PluginNode",
    "RegistryCredential",
    "ServiceConfig",
    "ServiceNode",
    "Volume",
]
