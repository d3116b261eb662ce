"""The catalog's plugin list pushed to every connected agent at once (`plugins` request), so
nodes pull a new or retagged plugin image as soon as an admin saves it, not at their next
reconnect (the Sync after each handshake carries the list too)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from agent import protocol as p

if TYPE_CHECKING:
    from core.hub.connection import NodeConnection

log = logging.getLogger("shoal.hub")

# The admin who saved the plugin waits for this at most: an agent that answers later still got
# the list (it pulls anyway), one that never answers gets it with its next Sync.
PUSH_WAIT_S = 5.0


async def push(connections: Iterable[NodeConnection], plugins: list[p.PluginInfo]) -> int:
    """Send the list to each online connection; return how many agents took it."""
    online = [c for c in connections if c.online]
    results = await asyncio.gather(
        *(c.request(p.UpdatePlugins, PUSH_WAIT_S, plugins=plugins) for c in online),
        return_exceptions=True,
    )
    for connection, result in zip(online, results, strict=True):
        if isinstance(result, BaseException):  # it gets the list with its next Sync
            log.warning("node %s: plugin list not pushed: %s", connection.node_id, result)
    return sum(not isinstance(r, BaseException) for r in results)
