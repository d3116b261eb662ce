"""The database: embedded PostgreSQL bootstrap, engine wiring, migrations, readiness.

With no `database_url`, Shoal starts PostgreSQL from the `pgserver` wheel inside the data dir
(unix socket only, stopped when the last process using it exits), so one command runs the
whole product. Piccolo finds its engine through PICCOLO_CONF; we point that at
core.piccolo_conf and hand it the real DSN through SHOAL_RUNTIME_DSN *before* it is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from core import embedded_postgres
from core.errors import Unavailable
from core.fair_pool import FairPool
from core.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "shoal"
_embedded_server: Any = None


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `data_dir`/postgres; return its DSN."""
    global _embedded_server
    import pgserver  # imported here: only the embedded mode needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "postgres").resolve()
    done = embedded_postgres.take_over(pgdata)
    if done:
        log.warning("embedded PostgreSQL: %s", done)
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # pgserver raises bare subprocess errors; keep the cause
        raise Unavailable(f"could not start the embedded PostgreSQL in {data_dir}: {exc}") from exc
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    _embedded_server = server
    return server.get_uri(EMBEDDED_DATABASE)


def stop_embedded() -> list[int]:
    """Stop the embedded PostgreSQL this process started or joined, unless other Shoal processes
    still use it: their pids are returned (pgserver would also try at exit, but only at a
    normal exit, and never once a killed process is left in its list)."""
    global _embedded_server
    server, _embedded_server = _embedded_server, None
    if server is None:
        return []
    return embedded_postgres.stop(server, server.pgdata)


def resolve_dsn(settings: Settings) -> str:
    """The DSN to use: the configured server, or the embedded one (started on demand)."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_path)


def configure(dsn: str) -> None:
    """Point Piccolo at `dsn`. Safe to call again (tests reuse one process)."""
    os.environ["SHOAL_RUNTIME_DSN"] = dsn
    os.environ["PICCOLO_CONF"] = "core.piccolo_conf"
    from core import piccolo_conf

    piccolo_conf.DB.config = {"dsn": dsn}


def psycopg_dsn(dsn: str) -> str:
    """SAQ's psycopg wants a libpq URL; asyncpg-style socket URLs already are one."""
    return dsn.replace("postgres+asyncpg://", "postgresql://", 1)


def describe(dsn: str) -> str:
    """A DSN without its password, for logs and error messages."""
    parsed = urlparse(dsn)
    host = parsed.hostname or parse_qs(parsed.query).get("host", ["?"])[0]
    port = f":{parsed.port}" if parsed.port else ""
    return f"postgresql://{parsed.username or ''}@{host}{port}{parsed.path}"


async def start_pool(max_size: int) -> None:
    from core.piccolo_conf import DB

    try:
        await DB.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)
    except (OSError, Exception) as exc:
        raise Unavailable(f"cannot reach the database: {exc}") from exc
    DB.pool = FairPool(DB.pool, max_size)


async def _keep_session(_connection: Any) -> None:
    """asyncpg's default reset is one more round trip per query (RESET ALL, UNLISTEN *,
    unlock advisory locks). Pool connections never carry session state here: LISTEN and the
    hub's advisory lock use dedicated connections. An open transaction is still rolled back.
    """


async def fetch(sql: str, *args: Any) -> list[Any]:
    """Rows of one raw query (asyncpg records), skipping the ORM: for the hottest reads."""
    from core.piccolo_conf import DB

    if DB.pool is not None:
        async with DB.pool.acquire() as connection:
            return await connection.fetch(sql, *args)
    connection = await DB.get_new_connection()
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def close_pool() -> None:
    from core.piccolo_conf import DB

    with contextlib.suppress(Exception):
        await DB.close_connection_pool()


async def check_reachable(dsn: str, wait_s: float = 10.0) -> None:
    """Fail fast, with a message an operator can act on, when the database does not answer."""
    import asyncpg

    try:
        connection = await asyncpg.connect(dsn, timeout=wait_s)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise Unavailable(f"cannot reach the database at {describe(dsn)}: {exc}") from exc
    await connection.close()


async def migrate() -> list[str]:
    """Apply every pending migration; return the ids applied (quietly: Piccolo prints)."""
    from core.piccolo_conf import DB

    await check_reachable(DB.config["dsn"])
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = ForwardsMigrationManager(app_name="core", migration_id="all", fake=False)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        await manager.create_migration_table()
        app_config = manager.get_app_config("core")
        modules = manager.get_migration_modules(app_config.resolved_migrations_folder_path)
        already = set(await Migration.get_migrations_which_ran(app_name="core"))
        pending = sorted(set(manager.get_migration_ids(modules)) - already)
        result = await manager.run()
    if not result.success:
        raise Unavailable(f"migrations failed: {result.message}\n{printed.getvalue()}")
    from core.services.registries import ensure_default_registry  # seed rows after the schema

    await ensure_default_registry()
    return pending


async def ping() -> None:
    from core.piccolo_conf import DB

    try:
        await asyncio.wait_for(DB.run_querystring(_select_one()), timeout=3)
    except Exception as exc:
        raise Unavailable(f"database unavailable: {exc}") from exc


def _select_one() -> Any:
    from piccolo.querystring import QueryString

    return QueryString("SELECT 1")
