"""postgres-restore: a database seeded from a dataset of the project (docs/data.md), and its
owner role, in a PostgreSQL server the deployments of a node share.

The agent mounts the dataset's file read-only at ``data.dataset.path`` and names its version
(``sha256``, ``format``: custom or plain). The first deployment restores it into a database of
its own (``pg_restore`` or ``psql --single-transaction``), which becomes the server's template
for that version (``shoal_ds_<sha256 prefix>``, no connections allowed); this and every later
deployment gets its database by ``CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY``, a file
copy instead of a restore. A dump that fails to restore leaves nothing: the half-loaded
database is dropped and the step fails with pg_restore's own message. Restored objects belong
to the role ``shoal_seed`` until the copy hands them to the deployment's user.

Data actions (docs/data.md): ``reset`` with no checkpoint named puts the database back to its
seeded state (a fresh copy of the template, swapped in by renames); ``checkpoint``, ``reset`` to
a checkpoint, ``prepare_reset``, ``drop_checkpoint`` and ``usage`` are postgres-database's, from
the SDK's ``shoal_plugin.pg_checkpoints`` (checkpoint databases are ``ck_<hash>_<hash>``, never
a template's name). A copy keeps the database's comment, so a database reset to a checkpoint
still knows its template.

rollback drops the deployment's database, its checkpoints and its role; the template stays for
the next deployment (drop ``shoal_ds_*`` databases by hand to reclaim the room).
"""

from __future__ import annotations

import re
import secrets
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from shoal_plugin import Context, InvalidInput, PluginError, param, pg_checkpoints, run
from shoal_plugin.pg_checkpoints import Target
from shoal_plugin.postgres import Server, names

NAME_PATTERN = r"^([A-Za-z_][A-Za-z0-9_]{0,62})?$"
OUTPUTS = ["url", "host", "port", "database", "user", "password", "dataset", "seeded_by"]
SECRET_OUTPUTS = ["url", "password"]
DATASET_PARAMS = ["dataset"]  # names a dataset of the project; the agent brings its file
MARKER = "shoal dataset template "
# reset without a checkpoint: back to the seeded state (docs/data.md); with one: to it.
DATA_ACTIONS = ["checkpoint", "reset", "drop_checkpoint", "usage", "prepare_reset"]
SEED_ROLE = "shoal_seed"
TEMPLATE_PREFIX = "shoal_ds_"

ROLE_SQL = """\
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \\gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE ROLE %I NOLOGIN', :'seed')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'seed') \\gexec
"""
LOAD_SQL = """\
DROP DATABASE IF EXISTS :"load" WITH (FORCE);
CREATE DATABASE :"load" OWNER :"seed";
"""
PROMOTE_SQL = """\
SELECT format('ALTER DATABASE %I RENAME TO %I', :'load', :'template')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'template') \\gexec
DROP DATABASE IF EXISTS :"load" WITH (FORCE);
ALTER DATABASE :"template" OWNER TO CURRENT_USER;
ALTER DATABASE :"template" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true;
"""
COPY_SQL = """\
CREATE DATABASE :"database" TEMPLATE :"template" OWNER :"user" STRATEGY FILE_COPY;
COMMENT ON DATABASE :"database" IS :'marker';
"""
# Which template a database was seeded from: what `reset` copies again.
MARKER_SQL = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :'d';"
# Reset to the seeded state: a fresh copy under another name first, then swapped in by renames
# in one transaction once the database's sessions are gone (each named in the log).
FRESH_SQL = """\
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
CREATE DATABASE :"fresh" TEMPLATE :"template" OWNER :"user" STRATEGY FILE_COPY;
COMMENT ON DATABASE :"fresh" IS :'marker';
"""
SWAP_SQL = """\
SELECT format('terminated %s (%s, %s)', usename, coalesce(nullif(application_name, ''), '-'),
              coalesce(host(client_addr), 'local')), pg_terminate_backend(pid)
  FROM pg_stat_activity WHERE datname = :'database' AND pid <> pg_backend_pid();
BEGIN;
ALTER DATABASE :"database" RENAME TO :"old";
ALTER DATABASE :"fresh" RENAME TO :"database";
COMMIT;
DROP DATABASE :"old" WITH (FORCE);
"""
HAND_OVER_SQL = 'REASSIGN OWNED BY :"seed" TO :"user";'


@dataclass
class Params:
    """Seed a database from a dataset in a PostgreSQL server; rollback drops it."""

    host: str = param(
        description="PostgreSQL host the node's deployments share; `gateway`: the node itself "
        "(a server on the host, reached through the deployment network's gateway)"
    )
    admin_password: str = param(description="Password of the admin user", secret=True)
    dataset: str = param(description="Name of the project's dataset to seed from")
    port: int = param(5432, description="PostgreSQL port", minimum=1, maximum=65535)
    admin_user: str = param("postgres", description="A superuser (restores run as it)")
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
    jobs: int = param(2, description="pg_restore's parallel jobs (custom format)", minimum=1)
    connect_timeout_s: float = param(60.0, description="Wait this long for the server", minimum=1)


def dataset(ctx: Context[Params]) -> dict[str, Any]:
    found = ctx.data.get("dataset")
    if not isinstance(found, dict) or not re.fullmatch(r"[0-9a-f]{64}", str(found.get("sha256"))):
        raise InvalidInput(
            {"data.dataset": "no dataset file came with the step (is the agent older than 0.2?)"}
        )
    return found


def template_of(sha256: str) -> str:
    return f"{TEMPLATE_PREFIX}{sha256[:48]}"


def host_of(ctx: Context[Params]) -> str:
    """`gateway` → the default route's gateway (the node, as seen from the deployment network),
    read from /proc/net/route: hex, little-endian."""
    if ctx.params.host != "gateway":
        return ctx.params.host
    with open("/proc/net/route") as routes:
        for line in routes.read().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 2 and fields[1] == "00000000":
                return ".".join(str(b) for b in reversed(bytes.fromhex(fields[2])))
    raise PluginError("host is `gateway`, but the step's container has no default route")


def target(ctx: Context[Params]) -> Target:
    """The deployment's database and user on the shared server; never the server's own roles
    and databases, nor a dataset's template."""
    database, user = names(
        ctx,
        reserved_prefixes=[TEMPLATE_PREFIX],
        reserved_users=[SEED_ROLE],
        role_word="own role",
    )
    return Target(Server.of(ctx, host_of(ctx)), database, user)


def restore(ctx: Context[Params], server: Server, found: dict[str, Any], template: str) -> None:
    """Load the dump into a database of this deployment's own, then make it the template (or
    drop it, when another deployment's restore of the same version got there first)."""
    load = f"{TEMPLATE_PREFIX}{found['sha256'][:40]}_{ctx.deployment.id}"[:63]
    server.psql(LOAD_SQL, {"load": load, "seed": SEED_ROLE})
    started = time.monotonic()
    if found.get("format") == "plain":
        argv = server.command(
            "psql", load, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
            "-c", f"SET ROLE {SEED_ROLE}", "-f", found["path"],
        )  # fmt: skip
    else:
        argv = server.command(
            "pg_restore", load, "--no-owner", "--no-privileges", f"--role={SEED_ROLE}",
            "--exit-on-error", "-j", str(ctx.params.jobs), found["path"],
        )  # fmt: skip
    done = subprocess.run(argv, env=server.env(), capture_output=True, text=True)
    if done.returncode != 0:
        server.psql('DROP DATABASE IF EXISTS :"load" WITH (FORCE);', {"load": load})
        reason = done.stderr.strip().splitlines()[-3:] or [f"exit {done.returncode}"]
        raise PluginError(
            f"dataset {found.get('name')} v{found.get('version')} did not restore, nothing was "
            f"kept: {' / '.join(reason)}"
        )
    server.psql(PROMOTE_SQL, {"load": load, "template": template})
    ctx.log.info(
        "restored dataset %s v%s in %.1f s; kept as template %s",
        found.get("name"), found.get("version"), time.monotonic() - started, template,
    )  # fmt: skip


def apply(ctx: Context[Params]) -> dict[str, object]:
    t = target(ctx)
    server, database, user = t.server, t.database, t.owner
    found = dataset(ctx)
    password = ctx.params.password or secrets.token_urlsafe(18)
    template = template_of(found["sha256"])
    server.wait()
    server.psql(ROLE_SQL, {"user": user, "password": password, "seed": SEED_ROLE})
    if server.exists(database):  # a resent apply: the seeded database is there already
        seeded_by = "existing"
        server.psql(
            'ALTER DATABASE :"database" OWNER TO :"user";', {"database": database, "user": user}
        )
        ctx.log.info("database %s exists already; left as it is", database)
    else:
        seeded_by = "template"
        if not server.exists(template):
            restore(ctx, server, found, template)
            seeded_by = "restore"
        started = time.monotonic()
        variables = {"database": database, "template": template, "user": user}
        server.psql(COPY_SQL, {**variables, "marker": MARKER + template})
        server.psql(HAND_OVER_SQL, {"seed": SEED_ROLE, "user": user}, database)
        how = "restored dump" if seeded_by == "restore" else "template copy"
        ctx.log.info(
            "database %s seeded from dataset %s v%s by %s (copy %.1f s)",
            database, found.get("name"), found.get("version"), how, time.monotonic() - started,
        )  # fmt: skip
    quoted = urllib.parse.quote(password, safe="")
    return {
        "url": f"postgresql://{user}:{quoted}@{server.host}:{ctx.params.port}/{database}",
        "host": server.host,
        "port": ctx.params.port,
        "database": database,
        "user": user,
        "password": password,
        "dataset": f"{found.get('name')}@{found.get('version')}",
        "seeded_by": seeded_by,
    }


def reset(ctx: Context[Params]) -> dict[str, object]:
    """To the checkpoint named, as postgres-database does; with none, back to the seeded
    state: a fresh copy of the template the database was made from; the database stays as it
    was when the copy fails."""
    t = target(ctx)
    if ctx.data.get("checkpoint"):
        return pg_checkpoints.reset(ctx, t)
    server, database, user = t.server, t.database, t.owner
    server.wait()
    marker = server.psql(MARKER_SQL, {"d": database})
    if not marker.startswith(MARKER):
        raise PluginError(f"{database} was not seeded by postgres-restore (or does not exist)")
    template = marker.removeprefix(MARKER)
    if not server.exists(template):
        raise PluginError(
            f"the template {template} is gone from the server: redeploy to seed again"
        )
    started, fresh = time.monotonic(), f"{database[:50]}_fresh"
    variables = {"database": database, "template": template, "user": user, "fresh": fresh}
    variables["old"] = f"{database[:50]}_old"
    server.psql(FRESH_SQL, {**variables, "marker": marker})
    server.psql(HAND_OVER_SQL, {"seed": SEED_ROLE, "user": user}, fresh)
    for line in server.psql(SWAP_SQL, variables).splitlines():
        if line.startswith("terminated "):
            ctx.log.warning("%s: a client of %s", line.split("|")[0], database)
    ctx.log.info(
        "%s reset to its seeded state from %s in %.1f s", database, template,
        time.monotonic() - started,
    )  # fmt: skip
    return {"database": database, "template": template}


def rollback(ctx: Context[Params]) -> dict[str, object]:
    t = target(ctx)
    t.server.wait()
    pg_checkpoints.remove(t)
    ctx.log.info(
        "dropped database %s, its checkpoints and role %s (the dataset's template stays)",
        t.database, t.owner,
    )  # fmt: skip
    return {"database": t.database, "user": t.owner}


if __name__ == "__main__":
    actions = {**pg_checkpoints.actions(target), "reset": reset}
    run(apply=apply, rollback=rollback, params=Params, actions=actions)
