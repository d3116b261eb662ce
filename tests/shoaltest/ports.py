"""Loopback ports that a fixture names now and something binds much later.

A port the kernel hands out for `bind(0)` comes from the ephemeral range, the same range it
uses for every outgoing connection and for Docker's published ports. A session fixture that
picks such a port and binds it only minutes later (Caddy binds the HTTPS port only when a TLS
environment first appears) can find it taken by then. Ports below the ephemeral range are
never handed out implicitly, so only another explicit choice can collide with them.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 20000
_handed_out: set[int] = set()  # a port named earlier may be unbound right now and still be meant


def _ephemeral_start() -> int:
    try:
        return int(RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def quiet_ports(count: int = 1) -> int:
    """The first of `count` consecutive free loopback ports below the ephemeral range."""
    highest = _ephemeral_start() - count
    if highest <= LOWEST:
        raise RuntimeError(f"no room below the ephemeral range ({RANGE_FILE} starts too low)")
    for _ in range(200):
        first = random.randrange(LOWEST, highest)
        ports = set(range(first, first + count))
        if not ports & _handed_out and all(_bindable(port) for port in ports):
            _handed_out.update(ports)
            return first
    raise RuntimeError(f"no {count} consecutive free loopback ports below {highest}")


def free_port() -> int:
    """One free loopback port for a server the test starts itself (see the module docstring)."""
    return quiet_ports(1)
