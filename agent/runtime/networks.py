"""One bridge network per deployment, with a subnet from the agent's own pool.

Docker's default address pools run out after about 30 user networks, so each network gets an
explicit subnet: the first block of `subnet_pool` that no network on this dockerd uses (other
agents sharing the daemon included) and that this agent has not handed out. If another agent
takes the same block in the meantime, Docker refuses the overlap and the next block is tried.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable

import docker
from docker.types import IPAMConfig, IPAMPool

from agent.runtime import APIError, Docker, NotFound

ATTEMPTS = 32
# Picking a subnet and creating the network is one step per agent: parallel deploys would
# otherwise all pick the same free block.
_allocation = threading.Lock()


class PoolExhausted(Exception):
    pass


def network_name(agent_id: str, deployment_id: int) -> str:
    return f"shoal-{agent_id}-{deployment_id}"


def pick_subnet(
    pool: ipaddress.IPv4Network, prefix: int, used: Iterable[ipaddress._BaseNetwork]
) -> ipaddress.IPv4Network:
    taken = [net for net in used if net.version == 4]
    for candidate in pool.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise PoolExhausted(f"no free /{prefix} left in the subnet pool {pool}")


def _used_subnets(client: docker.DockerClient) -> list[ipaddress._BaseNetwork]:
    used = []
    for network in client.api.networks():
        for config in (network.get("IPAM") or {}).get("Config") or []:
            if config.get("Subnet"):
                used.append(ipaddress.ip_network(config["Subnet"], strict=False))
    return used


def create_network(
    docker_: Docker,
    deployment_id: int,
    pool: str,
    prefix: int,
    reserved: list[str],
) -> tuple[str, str]:
    """Create (or reuse) the deployment's network on a worker thread; return (name, subnet)."""
    name = network_name(docker_.agent_id, deployment_id)
    existing = docker_.run(lambda c: c.networks.list(names=[name]))
    for network in existing:
        if network.name == name:
            config = (network.attrs.get("IPAM") or {}).get("Config") or [{}]
            return name, str(config[0].get("Subnet", ""))
    with _allocation:
        return _create_with_free_subnet(docker_, name, deployment_id, pool, prefix, reserved)


def _create_with_free_subnet(
    docker_: Docker, name: str, deployment_id: int, pool: str, prefix: int, reserved: list[str]
) -> tuple[str, str]:
    used = docker_.run(_used_subnets) + [ipaddress.ip_network(s) for s in reserved]
    for _ in range(ATTEMPTS):
        subnet = pick_subnet(ipaddress.ip_network(pool), prefix, used)
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=str(subnet[1]))])
        try:
            docker_.run(
                lambda c, i=ipam: c.networks.create(
                    name, driver="bridge", ipam=i, labels=docker_.labels(deployment_id)
                )
            )
            return name, str(subnet)
        except APIError as error:
            if "overlap" not in str(error).lower():
                raise
            used.append(subnet)
    raise PoolExhausted(f"could not find a free subnet in {pool} after {ATTEMPTS} attempts")


def remove_networks(docker_: Docker, deployment_id: int | None) -> int:
    """Remove this agent's networks (of one deployment, or all when None); return the count."""
    networks = docker_.run(
        lambda c: c.networks.list(filters={"label": docker_.label_filter(deployment_id)})
    )
    removed = 0
    for network in networks:
        try:
            docker_.run(lambda c, n=network: n.remove())
            removed += 1
        except NotFound:
            pass
    return removed
