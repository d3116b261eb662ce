"""postgres-database: a database and its owner role in a PostgreSQL service of the deployment.

apply creates the role (or resets its password) and the database it owns, then outputs the
connection URL for later steps (``${{ nodes.<id>.outputs.url }}``); running it twice is safe.
rollback drops the database (closing its connections), its checkpoints and the role. Talks to
the server with ``psql``, so the image's base must have it (shoal/debian-postgresql).

Data actions (docs/data.md): ``checkpoint`` copies the database into a checkpoint database
(``CREATE DATABASE … TEMPLATE``, a file copy); ``prepare_reset`` (run by the agent in the
background after a checkpoint or a reset) keeps a spare copy of the checkpoint ready and drops
the database a reset replaced; ``reset`` swaps the spare in by two renames (no copy while the
user waits), or, with no spare ready, a fresh copy made under another name first, so a failed
reset leaves the database as it was; ``drop_checkpoint`` removes one and ``usage`` reports the
bytes of the database and of its checkpoints (spares included). Copying from a database needs
it free of sessions: the clients still connected are terminated and named in the log.
"""

from __future__ import annotations

import hashlib
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
DATA_ACTIONS = ["checkpoint", "reset", "drop_checkpoint", "usage", "prepare_reset"]

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
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) FROM pg_database
 WHERE datname LIKE :'prefix' || '%' \\gexec
DROP ROLE IF EXISTS :"user";
"""
# Who is still connected, for the log, then their sessions ended (a copy needs none).
TERMINATE = """\
SELECT format('terminated %s (%s, %s)', usename, coalesce(nullif(application_name, ''), '-'),
              coalesce(host(client_addr), 'local')), datname, pg_terminate_backend(pid)
  FROM pg_stat_activity WHERE datname = :'{0}' AND pid <> pg_backend_pid();
"""
SURVEY_SQL = "SELECT pg_database_size(datname) FROM pg_database WHERE datname = :'source';"
CHECKPOINT_SQL = (
    """\
DROP DATABASE IF EXISTS :"spare" WITH (FORCE);
DROP DATABASE IF EXISTS :"target" WITH (FORCE);
"""
    + TERMINATE.format("database")
    + """\
CREATE DATABASE :"target" TEMPLATE :"database" STRATEGY FILE_COPY;
SELECT pg_database_size(:'target');
"""
)
RESET_SQL = (
    """\
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
"""
    + TERMINATE.format("source")
    + """\
CREATE DATABASE :"fresh" TEMPLATE :"source" OWNER :"owner" STRATEGY FILE_COPY;
"""
    + TERMINATE.format("database")
    + """\
BEGIN;
ALTER DATABASE :"database" RENAME TO :"old";
ALTER DATABASE :"fresh" RENAME TO :"database";
COMMIT;
"""
)
# The fast reset: the spare copy renamed in, in one transaction, so a failure changes nothing.
# The replaced database is left as `old` for prepare_reset: a DROP DATABASE forces a server
# checkpoint (~0.7 s measured), which the user need not wait for.
SWAP_SQL = (
    """\
SELECT EXISTS (SELECT FROM pg_database WHERE datname = :'spare') AS ready \\gset
\\if :ready
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
"""
    + TERMINATE.format("database")
    + """\
BEGIN;
ALTER DATABASE :"database" RENAME TO :"old";
ALTER DATABASE :"spare" RENAME TO :"database";
COMMIT;
SELECT 'swapped';
\\endif
"""
)
DROP_REPLACED_SQL = """\
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
"""
PREPARE_SQL = """\
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'spare') AS missing \\gset
\\if :missing
CREATE DATABASE :"spare" TEMPLATE :"source" OWNER :"owner" STRATEGY FILE_COPY;
\\endif
SELECT pg_database_size(:'spare');
"""
DROP_CHECKPOINT_SQL = """\
DROP DATABASE IF EXISTS :"source" WITH (FORCE);
DROP DATABASE IF EXISTS :"spare" WITH (FORCE);
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
"""
SIZE_SQL = "SELECT coalesce(sum(pg_database_size(datname)), 0) FROM pg_database WHERE {where};"
FREE_SQL = """\
CREATE TEMP TABLE shoal_df (line text);
SELECT format('COPY shoal_df FROM PROGRAM %L',
              'df -B1 --output=avail ' || current_setting('data_directory') || ' | tail -n 1')
\\gexec
SELECT trim(line) FROM shoal_df;
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
    psql(ctx, DROP_SQL, {"database": database, "user": user, "prefix": checkpoint_prefix(database)})
    ctx.log.info("dropped database %s, its checkpoints and role %s", database, user)
    return {"database": database, "user": user}


def checkpoint_prefix(database: str) -> str:
    return f"ck_{hashlib.sha256(database.encode()).hexdigest()[:10]}_"


def checkpoint_database(database: str, name: str) -> str:
    """A name within PostgreSQL's 63 bytes whatever the checkpoint's name (which the control
    plane keeps, with who and when)."""
    digest = hashlib.sha256(f"{database}\0{name}".encode()).hexdigest()[:20]
    return checkpoint_prefix(database) + digest


def checkpoint_name(ctx: Context[Params]) -> str:
    name = ctx.data.get("checkpoint")
    if not isinstance(name, str) or not name:
        raise InvalidInput({"data.checkpoint": "the checkpoint's name is required"})
    return name


def size(ctx: Context[Params], where: str, variables: dict[str, str]) -> int:
    return int(psql_tuples(ctx, SIZE_SQL.format(where=where), variables) or 0)


def psql_tuples(ctx: Context[Params], sql: str, variables: dict[str, str]) -> str:
    return psql(ctx, "\\pset tuples_only on\n\\pset format unaligned\n" + sql, variables).strip()


def free_bytes(ctx: Context[Params]) -> int | None:
    """Free bytes on the server's data disk, when the admin may run a program (a superuser)."""
    try:
        return int(psql_tuples(ctx, FREE_SQL, {}).splitlines()[-1])
    except (PluginError, ValueError, IndexError):
        return None


def survey(ctx: Context[Params], source: str, copies: int = 1) -> int | None:
    """The bytes of `source` (None: it does not exist), once the server answers; `copies` of
    it are refused here, before anything changed, when the disk lacks room for them."""
    wait_for_server(ctx)
    found = psql_tuples(ctx, SURVEY_SQL, {"source": source})
    if not found:
        return None
    size, free = int(found), free_bytes(ctx)
    needed = size * copies
    if free is not None and needed * 1.1 > free:
        what = "" if copies == 1 else f" ({copies} copies: the checkpoint and its spare)"
        raise PluginError(
            f"not enough disk: copying {source} needs about {needed / 1e6:.1f} MB{what}, "
            f"the server has {free / 1e6:.1f} MB free"
        )
    return size


def run_script(ctx: Context[Params], sql: str, variables: dict[str, str]) -> list[str]:
    """One psql session for the whole change (each statement costs a round trip, not a
    process); logs the sessions it terminated; returns the other result lines."""
    rest = []
    for line in psql_tuples(ctx, sql, variables).splitlines():
        if line.startswith("terminated "):
            who, database = line.split("|")[:2]
            ctx.log.warning("%s: a client of %s", who, database)
        else:
            rest.append(line)
    return rest


def checkpoint(ctx: Context[Params]) -> dict[str, object]:
    database, _user = names(ctx)
    name = checkpoint_name(ctx)
    target = checkpoint_database(database, name)
    if survey(ctx, database, copies=2) is None:  # the spare follows (prepare_reset)
        raise PluginError(f"{database} does not exist")
    # A copy that exists (a resent request) is made again from now, and its spare with it.
    variables = {"database": database, "target": target, "spare": f"{target}_spare"}
    bytes_ = int(run_script(ctx, CHECKPOINT_SQL, variables)[-1])
    ctx.log.info("checkpoint %r of %s saved (%d bytes, its spare as much)", name, database, bytes_)
    # "prepare": the agent then runs prepare_reset in the background (docs/plugins.md), which
    # copies it once more (the spare): `bytes` is what the checkpoint takes on disk with it.
    return {"database": database, "checkpoint": name, "bytes": 2 * bytes_, "prepare": True}


def copies(ctx: Context[Params]) -> tuple[str, str, dict[str, str]]:
    """The database, the checkpoint's name, and the psql variables naming its copies."""
    database, user = names(ctx)
    name = checkpoint_name(ctx)
    source = checkpoint_database(database, name)
    variables = {
        "database": database,
        "source": source,
        "owner": user,
        "spare": f"{source}_spare",  # ready for the next reset: prepare_reset makes it
        "fresh": f"{source}_new",  # a reset's copy while it is made, when no spare was ready
        "old": f"{source}_old",  # what the last reset replaced, until prepare_reset drops it
    }
    return database, name, variables


def reset(ctx: Context[Params]) -> dict[str, object]:
    database, name, variables = copies(ctx)
    # No wait for the server first: it runs (the deployment does); on any failure here the
    # transaction did not commit, and the slower path below waits, checks and copies.
    try:
        swapped = "swapped" in run_script(ctx, SWAP_SQL, variables)
    except PluginError as exc:
        ctx.log.info("the spare copy was not swapped in (%s); copying the checkpoint", exc.message)
        swapped = False
    if not swapped:
        if survey(ctx, variables["source"]) is None:
            raise PluginError(f"{database} has no checkpoint {name!r}")
        # The copy is made under another name first: when it fails, ON_ERROR_STOP ends the
        # script before the swap and the database is as it was.
        run_script(ctx, RESET_SQL, variables)
    how = "its spare copy swapped in" if swapped else "copied"
    ctx.log.info("%s reset to checkpoint %r (%s)", database, name, how)
    return {"database": database, "checkpoint": name, "prepare": True}


def prepare_reset(ctx: Context[Params]) -> dict[str, object]:
    """Make the next reset fast: drop what the last one replaced, then copy the checkpoint to
    a spare (the disk checked first) unless one is ready."""
    database, name, variables = copies(ctx)
    wait_for_server(ctx)
    psql(ctx, DROP_REPLACED_SQL, variables)  # first, so the disk check counts its room
    if survey(ctx, variables["source"]) is None:
        raise PluginError(f"{database} has no checkpoint {name!r}")
    bytes_ = int(run_script(ctx, PREPARE_SQL, variables)[-1])
    ctx.log.info("a spare copy of checkpoint %r of %s is ready (%d bytes)", name, database, bytes_)
    return {"database": database, "checkpoint": name, "bytes": bytes_}


def drop_checkpoint(ctx: Context[Params]) -> dict[str, object]:
    database, name, variables = copies(ctx)
    wait_for_server(ctx)
    psql(ctx, DROP_CHECKPOINT_SQL, variables)
    ctx.log.info("checkpoint %r of %s dropped", name, database)
    return {"database": database, "checkpoint": name}


def usage(ctx: Context[Params]) -> dict[str, object]:
    database, _user = names(ctx)
    wait_for_server(ctx)
    return {
        "database": database,
        "bytes": size(ctx, "datname = :'d'", {"d": database}),
        "checkpoint_bytes": size(
            ctx, "datname LIKE :'p' || '%'", {"p": checkpoint_prefix(database)}
        ),
    }


if __name__ == "__main__":
    run(
        apply=apply,
        rollback=rollback,
        params=Params,
        actions={
            "checkpoint": checkpoint,
            "reset": reset,
            "drop_checkpoint": drop_checkpoint,
            "usage": usage,
            "prepare_reset": prepare_reset,
        },
    )
