"""PostgreSQL for plugins that manage a deployment's database (postgres-database,
postgres-restore): the admin's ``psql``, waiting for the server, the database and owner names a
step manages, and the free disk a copy needs. The image's base must have ``psql``.

    server = Server.of(ctx)              # ctx.params: host, port, admin_user, admin_password,
    server.wait()                        # admin_database, connect_timeout_s
    database, user = names(ctx)
    server.psql('CREATE DATABASE :"d";', {"d": database})

The checkpoint actions built on it are in ``pg_checkpoints.py``.
"""

from __future__ import annotations

import logging
import re
import subprocess
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidInput, PluginError
from ._runner import Context
from ._wait import wait_for_tcp

SERVER_DATABASES = frozenset({"postgres", "template0", "template1"})
SURVEY_SQL = "SELECT pg_database_size(datname) FROM pg_database WHERE datname = :'source';"
EXISTS_SQL = "SELECT count(*) FROM pg_database WHERE datname = :'d';"
# The data directory's free bytes, asked of the server itself: the plugin's container does not
# see the server's disk. Needs a superuser (COPY … FROM PROGRAM).
FREE_SQL = """\
CREATE TEMP TABLE shoal_df (line text);
SELECT format('COPY shoal_df FROM PROGRAM %L',
              'df -B1 --output=avail ' || current_setting('data_directory') || ' | tail -n 1')
\\gexec
SELECT trim(line) FROM shoal_df;
"""


@dataclass(frozen=True)
class Server:
    """The PostgreSQL server a step talks to, as its admin user."""

    host: str
    port: int
    admin_user: str
    admin_password: str
    admin_database: str
    connect_timeout_s: float
    log: logging.Logger

    @classmethod
    def of(cls, ctx: Context[Any], host: str | None = None) -> Server:
        """From the params every such plugin has; ``host``: the address to use instead of
        ``params.host`` (postgres-restore's ``gateway``, resolved)."""
        p = ctx.params
        return cls(
            host=host or p.host,
            port=p.port,
            admin_user=p.admin_user,
            admin_password=p.admin_password,
            admin_database=p.admin_database,
            connect_timeout_s=p.connect_timeout_s,
            log=ctx.log,
        )

    def command(self, program: str, database: str, *args: str) -> list[str]:
        """``program`` (psql, pg_restore, …) connected to ``database`` as the admin."""
        port = str(self.port)
        return [program, "-h", self.host, "-p", port, "-U", self.admin_user, "-d", database, *args]

    def env(self) -> dict[str, str]:
        # The password by the environment: never on a command line another process could read.
        return {
            "PGPASSWORD": self.admin_password,
            "PGCONNECT_TIMEOUT": "5",
            "PATH": "/usr/bin:/bin",
        }

    def psql(self, sql: str, variables: dict[str, str], database: str = "") -> str:
        """Run ``sql`` in one session, stopping at the first error; its rows, unaligned, one a
        line, ``|`` between fields. ``variables`` are psql's (``:'name'``, ``:"name"``)."""
        args = ["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"]
        for name, value in variables.items():
            args += ["-v", f"{name}={value}"]
        argv = self.command("psql", database or self.admin_database, *args)
        done = subprocess.run(argv, input=sql, env=self.env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise PluginError(f"psql failed: {done.stderr.strip() or f'exit {done.returncode}'}")
        return done.stdout.strip()

    def wait(self) -> None:
        """The port opens before the server takes queries; retry a trivial query until it does."""
        deadline = time.monotonic() + self.connect_timeout_s
        wait_for_tcp(self.host, self.port, timeout_s=self.connect_timeout_s)
        while True:
            try:
                self.psql("SELECT 1;", {})
                return
            except PluginError as exc:
                if time.monotonic() > deadline or "password authentication failed" in exc.message:
                    raise
                self.log.info("server not ready yet: %s", exc.message)
                time.sleep(0.5)

    def exists(self, database: str) -> bool:
        return self.psql(EXISTS_SQL, {"d": database}) == "1"

    def free_bytes(self) -> int | None:
        """Free bytes on the server's data disk, when the admin may run a program (a superuser)."""
        try:
            return int(self.psql(FREE_SQL, {}).splitlines()[-1])
        except (PluginError, ValueError, IndexError):
            return None

    def survey(self, source: str, copies: int = 1) -> int | None:
        """The bytes of ``source`` (None: it does not exist), once the server answers;
        ``copies`` of it are refused here, before anything changed, when the disk lacks room."""
        self.wait()
        found = self.psql(SURVEY_SQL, {"source": source})
        if not found:
            return None
        size, free = int(found), self.free_bytes()
        needed = size * copies
        if free is not None and needed * 1.1 > free:
            what = "" if copies == 1 else f" ({copies} copies: the checkpoint and its spare)"
            raise PluginError(
                f"not enough disk: copying {source} needs about {needed / 1e6:.1f} MB{what}, "
                f"the server has {free / 1e6:.1f} MB free"
            )
        return size

    def run_script(self, sql: str, variables: dict[str, str]) -> list[str]:
        """One psql session for the whole change (each statement costs a round trip, not a
        process); logs the sessions it ended (rows ``terminated …|database|…``); returns the
        other result lines."""
        rest = []
        for line in self.psql(sql, variables).splitlines():
            if line.startswith("terminated "):
                who, database = line.split("|")[:2]
                self.log.warning("%s: a client of %s", who, database)
            else:
                rest.append(line)
        return rest


def names(
    ctx: Context[Any],
    *,
    reserved_prefixes: Collection[str] = (),
    reserved_users: Collection[str] = (),
    role_word: str = "admin",
) -> tuple[str, str]:
    """The database and owner role a step manages: ``params.database`` or ``app_<deployment
    name>``, ``params.user`` or the database's name. Never the server's own, which a rollback
    would drop: InvalidInput names the field. ``reserved_prefixes``: databases the plugin keeps
    for itself (postgres-restore's templates); ``reserved_users``: roles likewise."""
    p = ctx.params
    database = p.database
    if not database:
        derived = re.sub(r"[^a-z0-9_]", "_", ctx.deployment.name.lower()) or "deployment"
        database = f"app_{derived}"[:63]
    user = p.user or database
    problems = {}
    if database in SERVER_DATABASES | {p.admin_database}:
        problems["params.database"] = f"{database!r} belongs to the server, not to a deployment"
    for prefix in reserved_prefixes:
        if database.startswith(prefix):
            problems["params.database"] = f"{database!r} is a name the plugin keeps ({prefix}*)"
    if user in {"postgres", p.admin_user, *reserved_users}:
        problems["params.user"] = f"{user!r} is the server's {role_word}, not a deployment's user"
    if problems:
        raise InvalidInput(problems)
    return database, user
