"""Fixtures: one embedded PostgreSQL (pgserver) per test session, a clean database per test.

Set SHOAL_TEST_DATABASE_URL to run against a PostgreSQL server instead (its database is
wiped table by table, so point it at a throwaway one).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core import db as core_db
from core.tables import ALL_TABLES

if TYPE_CHECKING:
    from piccolo.table import Table


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    configured = os.environ.get("SHOAL_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="shoal-test-pg-") as tmp:
        yield core_db.start_embedded(Path(tmp))
        core_db.stop_embedded()


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[str]:
    """The DSN of a migrated database with Piccolo's pool open for the whole session."""
    core_db.configure(database_url)
    await core_db.migrate()
    await core_db.start_pool(max_size=8)
    yield database_url
    await core_db.close_pool()


async def truncate_all() -> None:
    from core.piccolo_conf import DB

    names = ", ".join(f'"{t._meta.tablename}"' for t in ALL_TABLES)
    # Jobs a previous test queued would otherwise show up in the next test's queue.
    if (await core_db.fetch("SELECT to_regclass('saq_jobs') IS NOT NULL AS present"))[0][0]:
        names += ", saq_jobs"
    await DB.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


async def insert_row(row: Table) -> int:
    """Insert one row exactly as given and return its id. Fixtures use this, not the services,
    to set up states quickly or ones the services would refuse."""
    table = type(row)
    return (await table.insert(row).returning(table.id).run())[0]["id"]


@pytest.fixture
async def db(database: str) -> AsyncIterator[str]:
    """A database with every Shoal table empty (migrations stay applied)."""
    await truncate_all()
    yield database
