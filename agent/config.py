"""The agent's settings, resolved once at start by cli.py (flag > environment > default)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class AgentConfig:
    listen_host: str = "0.0.0.0"
    listen_port: int = 5000
    data_dir: Path = Path("/data")
    # The data dir as dockerd sees it, when the agent runs in a container: datasets are
    # bind-mounted from there into plugin containers (docs/data.md). None: `data_dir` itself.
    host_data_dir: Path | None = None
    # Where published service ports bind and what the control plane is told to route to.
    publish_address: str = "127.0.0.1"
    # Labels every container/network this agent creates: several agents may share one dockerd.
    agent_id: str = ""
    # Deployment networks get subnets from this pool (Docker's own pools stop at ~30 networks).
    subnet_pool: str = "10.213.0.0/16"
    subnet_prefix: int = 26
    heartbeat_s: float = 10.0
    reconcile_s: float = 30.0

    @property
    def health_host(self) -> str:
        """Where the agent connects to reach a published port for health checks."""
        return "127.0.0.1" if self.publish_address in ("0.0.0.0", "") else self.publish_address

    def validate(self) -> None:
        pool = ipaddress.ip_network(self.subnet_pool)
        if not (pool.prefixlen < self.subnet_prefix <= 29):
            raise ValueError(
                f"--subnet-prefix {self.subnet_prefix} must be longer than the pool's "
                f"/{pool.prefixlen} and at most /29"
            )
        if not (0 < self.listen_port < 65536):
            raise ValueError(f"listen port {self.listen_port} is out of range")
