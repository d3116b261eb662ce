"""One change (or one report) of a preview at a time, across every control-plane process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from core.tables.previews import Preview

CHANGE_LOCK = 17017  # pg_advisory_lock(class, preview id): one change of a preview at a time
REPORT_LOCK = 17018  # one report of a preview at a time (so one comment, never two)


@contextlib.asynccontextmanager
async def preview_lock(preview_id: int, kind: int = CHANGE_LOCK) -> AsyncIterator[None]:
    """A session lock on a connection of its own, so the work inside may use the pool freely
    (and enqueue jobs that see what it committed)."""
    connection: asyncpg.Connection = await Preview._meta.db.get_new_connection()
    try:
        await connection.execute("SELECT pg_advisory_lock($1, $2)", kind, preview_id)
        yield
    finally:
        await connection.close()  # closing releases the lock
