"""A short in-process cache of registry tag lists, so the dropdown does not hit the registry
on every page view. Only successful listings are kept; errors always reach the caller.

Per process by design: each web process refreshes on its own within `TTL_S`, and the
refresh button (or a registry change) drops the entry at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

TTL_S = 60.0
MAX_ENTRIES = 2000

Key = tuple[int, str, str]
_entries: dict[Key, tuple[float, datetime, list[str]]] = {}
_locks: dict[Key, asyncio.Lock] = {}


def fingerprint(*parts: str) -> str:
    """Stands for the URL and credentials in the key, so tags fetched with one set of
    credentials are never served to a registry saved with another."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


async def get_tags(
    registry_id: int,
    access: str,
    image: str,
    fetch: Callable[[], Awaitable[list[str]]],
    *,
    refresh: bool = False,
) -> tuple[list[str], datetime]:
    """Cached tags of (registry, image) and when they were fetched; `fetch` on miss/refresh.

    `access` is the `fingerprint` of the URL and credentials used."""
    key = (registry_id, access, image)
    # One fetch per key at a time: a page full of dropdowns must not stampede the registry.
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        entry = _entries.get(key)
        if entry and not refresh and time.monotonic() - entry[0] < TTL_S:
            return entry[2], entry[1]
        tags = await fetch()
        if len(_entries) >= MAX_ENTRIES:
            oldest = next(iter(_entries))
            _entries.pop(oldest)
            _locks.pop(oldest, None)
        fetched_at = datetime.now(UTC)
        _entries[key] = (time.monotonic(), fetched_at, tags)
        return tags, fetched_at


def forget_registry(registry_id: int) -> None:
    """Drop every entry of a registry (its URL or credentials changed, or it was deleted)."""
    for key in [k for k in _entries if k[0] == registry_id]:
        _entries.pop(key, None)
        _locks.pop(key, None)


def clear() -> None:
    _entries.clear()
    _locks.clear()
