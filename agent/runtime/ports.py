"""Published host ports that stay the same when the container comes back.

A port Docker picks itself (an empty `HostPort`) is picked again at every start: a restarted
dockerd (a node reboot) hands its containers other ports than before, shuffled among them. A
port the agent names is kept in the container's own config, so the container comes back on
it. The agent names the port the service had before (recreated after a crash, redeployed),
else one the kernel says is free right now; a port taken meanwhile means the next candidate,
and after a few, Docker's own pick (never worse than before).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

FRESH_ATTEMPTS = 4


def candidates(address: str, previous: int | None) -> Iterator[int | None]:
    """Host ports to try in order; None (last) lets Docker choose."""
    if previous:
        yield previous
    for _ in range(FRESH_ATTEMPTS):
        port = free_port(address)
        if port is not None and port != previous:
            yield port
    yield None


def free_port(address: str) -> int | None:
    """A port nothing listens on at `address` now. When the agent cannot bind that address
    (it runs in a container of its own, the address is the host's), any free port of its own
    is still a good guess: Docker says so when it is not, and the next candidate is tried."""
    for host in dict.fromkeys((address if address not in ("0.0.0.0", "::") else "", "")):
        try:
            with socket.socket() as probe:
                probe.bind((host, 0))
                return int(probe.getsockname()[1])
        except OSError:
            continue
    return None


def is_taken(error: BaseException) -> bool:
    """Docker refused a start because the host port is in use (by another container, by its
    own allocator, or by any other process on the host)."""
    text = str(error).lower()
    return "port is already allocated" in text or "address already in use" in text
