"""postgres-database: a database and its owner role in a PostgreSQL service of the deployment.

apply creates the role (or resets its password) and the database it owns, then outputs the
connection URL for later steps (``${{ nodes.<id>.outputs.url }}``); running it twice is safe.
rollback drops the database (closing its connections) and the role. Talks to the server with
``psql``, so the image's base must have it (shoal/debian-postgresql).
"""

from __future__ import annotations

import re
import secrets
import subprocess
import time
import urllib.parse
from dataclasses import dataclass

from shoal_plugin import Context, InvalidInput, PluginError, param, run, wait_for_tcp

NAME_PATTERN = r"^([A-Za-z_][A-Za-z0-9_]{0,62})?$"
OUTPUTS = ["url", "host", "port", "database", "user", "password"]
# The password, and the URL that carries it: sealed on the control plane, masked for read-level
# users, never on the agent's disk; rollbacks of later steps still get the real values.
SECRET_OUTPUTS = ["url", "password"]

CREATE_SQL = """\
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \\gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
ALTER DATABASE :"database" OWNER TO :"user";
"""
DROP_SQL = """\
DROP DATABASE IF EXISTS :"database" WITH (FORCE);
DROP ROLE IF EXISTS :"user";
"""


@dataclass
class Params:
    """Create a database and a user in a PostgreSQL service; rollback drops both."""

    host: str = param(
        description="PostgreSQL host: the service's node id on the deployment network"
    )
    admin_password: str = param(description="Password of the admin user", secret=True)
    port: int = param(5432, description="PostgreSQL port", minimum=1, maximum=65535)
    admin_user: str = param("postgres", description="A user allowed to create roles and databases")
    admin_database: str = param("postgres", description="Database the admin user connects to")
    database: str = param(
        "",
        description="Database to create (default: from the deployment name)",
        pattern=NAME_PATTERN,
    )
    user: str = param(
        "", description="Owner role to create (default: the database name)", pattern=NAME_PATTERN
    )
    password: str = param(
        "", description="The user's password (default: a random one)", secret=True
    )
    connect_timeout_s: float = param(60.0, description="Wait this long for the server", minimum=1)


def names(ctx: Context[Params]) -> tuple[str, str]:
    """The database and user to manage; never the server's own, which rollback would drop."""
    database = ctx.params.database
    if not database:
        derived = re.sub(r"[^a-z0-9_]", "_", ctx.deployment.name.lower()) or "deployment"
        database = f"app_{derived}"[:63]
    user = ctx.params.user or database
    problems = {}
    if database in {"postgres", "template0", "template1", ctx.params.admin_database}:
        problems["params.database"] = f"{database!r} belongs to the server, not to a deployment"
    if user in {"postgres", ctx.params.admin_user}:
        problems["params.user"] = f"{user!r} is the server's admin, not a deployment's user"
    if problems:
        raise InvalidInput(problems)
    return database, user


def psql(ctx: Context[Params], sql: str, variables: dict[str, str]) -> str:
    """Run ``sql`` as the admin user, stopping at the first error; psql's output."""
    params = ctx.params
    command = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        params.host,
        "-p",
        str(params.port),
        "-U",
        params.admin_user,
        "-d",
        params.admin_database,
    ]
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    env = {"PGPASSWORD": params.admin_password, "PGCONNECT_TIMEOUT": "5", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, input=sql, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PluginError(f"psql failed: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout


def wait_for_server(ctx: Context[Params]) -> None:
    """The port opens before the server takes queries; retry a trivial query until it does."""
    deadline = time.monotonic() + ctx.params.connect_timeout_s
    wait_for_tcp(ctx.params.host, ctx.params.port, timeout_s=ctx.params.connect_timeout_s)
    while True:
        try:
            psql(ctx, "SELECT 1;", {})
            return
        except PluginError as exc:
            if time.monotonic() > deadline or "password authentication failed" in exc.message:
                raise
            ctx.log.info("server not ready yet: %s", exc.message)
            time.sleep(0.5)


def apply(ctx: Context[Params]) -> dict[str, object]:
    database, user = names(ctx)
    password = ctx.params.password or secrets.token_urlsafe(18)
    wait_for_server(ctx)
    psql(ctx, CREATE_SQL, {"database": database, "user": user, "password": password})
    ctx.log.info("database %s owned by %s is ready on %s", database, user, ctx.params.host)
    quoted = urllib.parse.quote(password, safe="")
    url = f"postgresql://{user}:{quoted}@{ctx.params.host}:{ctx.params.port}/{database}"
    return {
        "url": url,
        "host": ctx.params.host,
        "port": ctx.params.port,
        "database": database,
        "user": user,
        "password": password,
    }


def rollback(ctx: Context[Params]) -> dict[str, object]:
    database, user = names(ctx)
    wait_for_server(ctx)
    psql(ctx, DROP_SQL, {"database": database, "user": user})
    ctx.log.info("dropped database %s and role %s", database, user)
    return {"database": database, "user": user}


if __name__ == "__main__":
    run(apply=apply, rollback=rollback, params=Params)
