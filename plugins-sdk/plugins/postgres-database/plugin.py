"""postgres-database: a database and its owner role in a PostgreSQL service of the deployment.

apply creates the role (or resets its password) and the database it owns, then outputs the
connection URL for later steps (``${{ nodes.<id>.outputs.url }}``); running it twice is safe.
rollback drops the database (closing its connections), its checkpoints and the role. Talks to
the server with ``psql``, so the image's base must have it (shoal/debian-postgresql).

Data actions (docs/data.md; the SDK's ``shoal_plugin.pg_checkpoints``, which postgres-restore
shares): ``checkpoint`` copies the database into a checkpoint database
(``CREATE DATABASE … TEMPLATE``, a file copy); ``prepare_reset`` (run by the agent in the
background after a checkpoint or a reset) keeps a spare copy of the checkpoint ready and drops
the database a reset replaced; ``reset`` swaps the spare in by two renames (no copy while the
user waits), or, with no spare ready, a fresh copy made under another name first, so a failed
reset leaves the database as it was; ``drop_checkpoint`` removes one and ``usage`` reports the
bytes of the database and of its checkpoints (spares included). Copying from a database needs
it free of sessions: the clients still connected are terminated and named in the log.
"""

from __future__ import annotations

import secrets
import urllib.parse
from dataclasses import dataclass

from shoal_plugin import Context, param, pg_checkpoints, run
from shoal_plugin.pg_checkpoints import Target
from shoal_plugin.postgres import Server, names

NAME_PATTERN = r"^([A-Za-z_][A-Za-z0-9_]{0,62})?$"
OUTPUTS = ["url", "host", "port", "database", "user", "password"]
# The password, and the URL that carries it: sealed on the control plane, masked for read-level
# users, never on the agent's disk; rollbacks of later steps still get the real values.
SECRET_OUTPUTS = ["url", "password"]
DATA_ACTIONS = ["checkpoint", "reset", "drop_checkpoint", "usage", "prepare_reset"]

CREATE_SQL = """\
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \\gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
ALTER DATABASE :"database" OWNER TO :"user";
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


def target(ctx: Context[Params]) -> Target:
    """The database and user to manage; never the server's own, which rollback would drop."""
    return Target(Server.of(ctx), *names(ctx))


def apply(ctx: Context[Params]) -> dict[str, object]:
    t = target(ctx)
    password = ctx.params.password or secrets.token_urlsafe(18)
    t.server.wait()
    t.server.psql(CREATE_SQL, {"database": t.database, "user": t.owner, "password": password})
    ctx.log.info("database %s owned by %s is ready on %s", t.database, t.owner, ctx.params.host)
    quoted = urllib.parse.quote(password, safe="")
    url = f"postgresql://{t.owner}:{quoted}@{ctx.params.host}:{ctx.params.port}/{t.database}"
    return {
        "url": url,
        "host": ctx.params.host,
        "port": ctx.params.port,
        "database": t.database,
        "user": t.owner,
        "password": password,
    }


def rollback(ctx: Context[Params]) -> dict[str, object]:
    t = target(ctx)
    t.server.wait()
    pg_checkpoints.remove(t)
    ctx.log.info("dropped database %s, its checkpoints and role %s", t.database, t.owner)
    return {"database": t.database, "user": t.owner}


if __name__ == "__main__":
    run(apply=apply, rollback=rollback, params=Params, actions=pg_checkpoints.actions(target))
