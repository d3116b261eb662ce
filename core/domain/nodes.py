"""Pure rules about nodes: what a valid host is, node tokens, and the command lines that start
an agent for a node. No I/O, so plain unit tests cover them."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import shlex

from agent import __version__ as AGENT_VERSION
from agent.protocol import token_key
from core.errors import InvalidInput

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
AGENT_IMAGE = "shoal/agent"
AGENT_DATA_DIR = "/var/lib/shoal-agent"


def check_host(value: str) -> str:
    """A host name (RFC 1123 labels) or an IPv4/IPv6 address, normalised; else InvalidInput."""
    host = value.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host.rstrip(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(
            f"'{value.strip()[:80]}' is not a host name or IP address (use e.g. node1.example.com "
            "or 10.0.0.5, without scheme, port or path).",
            "host",
        )
    if labels[-1].isdigit():  # 1.2.3.999 is a broken address, not a name
        raise InvalidInput(f"'{value.strip()[:80]}' is not a valid IP address.", "host")
    return name


def check_port(value: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidInput("The agent port must be between 1 and 65535.", "port")
    return value


def name_from_host(host: str) -> str:
    """A DNS-label node name when none was given: the host's first label (or the address)."""
    base = host.split(".")[0] if not _is_ip(host) else host
    label = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:63].strip("-")
    return label or "node"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`hub_publish_networks`: comma-separated addresses or CIDRs; a bad one is a startup error."""
    networks = []
    for item in value.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"hub_publish_networks: {item.strip()!r} is no address or CIDR"
                ) from None
    return tuple(networks)


def publish_address_problem(
    reported: str,
    host: str,
    peer: str,
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (),
) -> str | None:
    """Why an agent may not have the ingress send traffic to `reported`, or None when it may.

    The ingress forwards deployment URLs to this address, so it must be the node itself: its
    configured host, the address the control plane actually reached it at (`peer`), or an
    address in the operator's `hub_publish_networks`. Anything else would let an agent point
    public URLs at another machine, or at the control plane's own loopback services."""
    address = reported.strip().lower().strip("[]")
    if address and address in (host.lower(), peer.lower()):
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None and peer and _same_ip(ip, peer):
        return None
    if ip is not None and any(ip in network for network in networks):
        return None
    return (
        f"the agent publishes deployment ports on {reported[:80]!r}, which is neither this "
        f"node's host ({host}) nor the address it was reached at ({peer or 'unknown'}): start "
        f"it with --publish-address {host}, or add that address to hub_publish_networks"
    )


def _same_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, other: str) -> bool:
    try:
        peer = ipaddress.ip_address(other)
    except ValueError:
        return False
    mapped = getattr(peer, "ipv4_mapped", None)
    return ip == peer or (mapped is not None and ip == mapped)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def key_hex(token: str) -> str:
    """What the agent stores and the control plane keeps (encrypted): sha256(token), hex."""
    return token_key(token).hex()


def token_fingerprint(token: str) -> str:
    """A public name for a token (not the key: knowing it proves nothing to an agent)."""
    return hashlib.sha256(b"shoal-node-token-fingerprint|" + token.encode()).hexdigest()


def run_commands(host: str, port: int, token: str) -> dict[str, str]:
    """The ready-to-paste lines that start this node's agent: a `docker run` and a
    `shoal-agent` one. Services are published on the node's address when it is an IP."""
    publish = ["--publish-address", host] if _is_ip(host) else []
    agent = [
        "shoal-agent",
        "--listen",
        f"0.0.0.0:{port}",
        "--data",
        AGENT_DATA_DIR,
        *publish,
    ]
    docker_publish = ["-e", f"AGENT_PUBLISH_ADDRESS={host}"] if _is_ip(host) else []
    docker = [
        "docker", "run", "-d", "--name", "shoal-agent", "--restart", "unless-stopped",
        "-p", f"{port}:5000", "-e", f"AGENT_TOKEN={token}", *docker_publish,
        "-v", "/var/run/docker.sock:/var/run/docker.sock",
        "-v", f"{AGENT_DATA_DIR}:/data", f"{AGENT_IMAGE}:{AGENT_VERSION}",
    ]  # fmt: skip
    return {
        "run_command": f"AGENT_TOKEN={shlex.quote(token)} " + shlex.join(agent),
        "docker_command": shlex.join(docker),
    }
