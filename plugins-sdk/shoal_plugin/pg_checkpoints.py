"""Checkpoints of a PostgreSQL database (docs/plugins.md, "Data actions"): the data actions a
plugin that owns one offers, for any plugin that can say which database it manages.

    def target(ctx): return Target(Server.of(ctx), *names(ctx))
    run(..., actions=pg_checkpoints.actions(target))

``checkpoint`` copies the database into a checkpoint database (``CREATE DATABASE … TEMPLATE``,
a file copy); ``prepare_reset`` (run by the agent in the background after a checkpoint or a
reset) keeps a spare copy of the checkpoint ready and drops the database a reset replaced;
``reset`` swaps the spare in by two renames (no copy while the user waits), or, with no spare
ready, a fresh copy made under another name first, so a failed reset leaves the database as it
was; ``drop_checkpoint`` removes one and ``usage`` reports the bytes of the database and of its
checkpoints (spares included). Copying from a database needs it free of sessions: the clients
still connected are terminated and named in the log. Every copy keeps the database's comment
(postgres-restore's note of the template it was seeded from).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidInput, PluginError
from ._runner import Context
from .postgres import Server

# Who is still connected, for the log, then their sessions ended (a copy needs none).
TERMINATE = """\
SELECT format('terminated %s (%s, %s)', usename, coalesce(nullif(application_name, ''), '-'),
              coalesce(host(client_addr), 'local')), datname, pg_terminate_backend(pid)
  FROM pg_stat_activity WHERE datname = :'{0}' AND pid <> pg_backend_pid();
"""
# CREATE DATABASE … TEMPLATE copies the files, not the comment (a shared catalog's row).
KEEP_COMMENT = """\
SELECT format('COMMENT ON DATABASE %I IS %L', :'{0}', note)
  FROM (SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database
         WHERE datname = :'{1}') found WHERE note IS NOT NULL \\gexec
"""


def copy_sql(target: str, source: str, owner: str = "") -> str:
    """psql lines making the database named by variable `target` a file copy of `source` (owned
    by variable `owner`, when given), its comment kept."""
    owned = f' OWNER :"{owner}"' if owner else ""
    create = f'CREATE DATABASE :"{target}" TEMPLATE :"{source}"{owned} STRATEGY FILE_COPY;\n'
    return create + KEEP_COMMENT.format(target, source)


CHECKPOINT_SQL = (
    """\
DROP DATABASE IF EXISTS :"spare" WITH (FORCE);
DROP DATABASE IF EXISTS :"target" WITH (FORCE);
"""
    + TERMINATE.format("database")
    + copy_sql("target", "database")
    + "SELECT pg_database_size(:'target');\n"
)
RESET_SQL = (
    """\
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
"""
    + TERMINATE.format("source")
    + copy_sql("fresh", "source", "owner")
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
PREPARE_SQL = (
    """\
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'spare') AS missing \\gset
\\if :missing
"""
    + copy_sql("spare", "source", "owner")
    + """\
\\endif
SELECT pg_database_size(:'spare');
"""
)
DROP_CHECKPOINT_SQL = """\
DROP DATABASE IF EXISTS :"source" WITH (FORCE);
DROP DATABASE IF EXISTS :"spare" WITH (FORCE);
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
"""
# A rollback's: the database, every checkpoint of it (companions included), its owner role.
REMOVE_SQL = """\
DROP DATABASE IF EXISTS :"database" WITH (FORCE);
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) FROM pg_database
 WHERE datname LIKE :'prefix' || '%' \\gexec
DROP ROLE IF EXISTS :"owner";
"""
SIZE_SQL = "SELECT coalesce(sum(pg_database_size(datname)), 0) FROM pg_database WHERE {where};"


@dataclass(frozen=True)
class Target:
    """The database a step manages, on its server, and the role its copies are handed to."""

    server: Server
    database: str
    owner: str


Action = Callable[[Context[Any]], dict[str, object]]


def checkpoint_prefix(database: str) -> str:
    """``ck_<hash>_``: every checkpoint database of ``database`` starts so (and nothing a
    plugin keeps for itself does, e.g. postgres-restore's ``shoal_ds_*`` templates)."""
    return f"ck_{hashlib.sha256(database.encode()).hexdigest()[:10]}_"


def checkpoint_database(database: str, name: str) -> str:
    """A name within PostgreSQL's 63 bytes whatever the checkpoint's name (which the control
    plane keeps, with who and when)."""
    digest = hashlib.sha256(f"{database}\0{name}".encode()).hexdigest()[:20]
    return checkpoint_prefix(database) + digest


def checkpoint_name(ctx: Context[Any]) -> str:
    name = ctx.data.get("checkpoint")
    if not isinstance(name, str) or not name:
        raise InvalidInput({"data.checkpoint": "the checkpoint's name is required"})
    return name


def copies(t: Target, name: str) -> dict[str, str]:
    """The psql variables naming the database, the checkpoint's copy and its companions."""
    source = checkpoint_database(t.database, name)
    return {
        "database": t.database,
        "source": source,
        "owner": t.owner,
        "spare": f"{source}_spare",  # ready for the next reset: prepare_reset makes it
        "fresh": f"{source}_new",  # a reset's copy while it is made, when no spare was ready
        "old": f"{source}_old",  # what the last reset replaced, until prepare_reset drops it
    }


def checkpoint(ctx: Context[Any], t: Target) -> dict[str, object]:
    name = checkpoint_name(ctx)
    target = checkpoint_database(t.database, name)
    if t.server.survey(t.database, copies=2) is None:  # the spare follows (prepare_reset)
        raise PluginError(f"{t.database} does not exist")
    # A copy that exists (a resent request) is made again from now, and its spare with it.
    variables = {"database": t.database, "target": target, "spare": f"{target}_spare"}
    bytes_ = int(t.server.run_script(CHECKPOINT_SQL, variables)[-1])
    ctx.log.info(
        "checkpoint %r of %s saved (%d bytes, its spare as much)", name, t.database, bytes_
    )
    # "prepare": the agent then runs prepare_reset in the background (docs/plugins.md), which
    # copies it once more (the spare): `bytes` is what the checkpoint takes on disk with it.
    return {"database": t.database, "checkpoint": name, "bytes": 2 * bytes_, "prepare": True}


def reset(ctx: Context[Any], t: Target) -> dict[str, object]:
    name = checkpoint_name(ctx)
    variables = copies(t, name)
    # No wait for the server first: it runs (the deployment does); on any failure here the
    # transaction did not commit, and the slower path below waits, checks and copies.
    try:
        swapped = "swapped" in t.server.run_script(SWAP_SQL, variables)
    except PluginError as exc:
        ctx.log.info("the spare copy was not swapped in (%s); copying the checkpoint", exc.message)
        swapped = False
    if not swapped:
        if t.server.survey(variables["source"]) is None:
            raise PluginError(f"{t.database} has no checkpoint {name!r}")
        # The copy is made under another name first: when it fails, ON_ERROR_STOP ends the
        # script before the swap and the database is as it was.
        t.server.run_script(RESET_SQL, variables)
    how = "its spare copy swapped in" if swapped else "copied"
    ctx.log.info("%s reset to checkpoint %r (%s)", t.database, name, how)
    return {"database": t.database, "checkpoint": name, "prepare": True}


def prepare_reset(ctx: Context[Any], t: Target) -> dict[str, object]:
    """Make the next reset fast: drop what the last one replaced, then copy the checkpoint to
    a spare (the disk checked first) unless one is ready."""
    name = checkpoint_name(ctx)
    variables = copies(t, name)
    t.server.wait()
    t.server.psql(DROP_REPLACED_SQL, variables)  # first, so the disk check counts its room
    if t.server.survey(variables["source"]) is None:
        raise PluginError(f"{t.database} has no checkpoint {name!r}")
    bytes_ = int(t.server.run_script(PREPARE_SQL, variables)[-1])
    ctx.log.info(
        "a spare copy of checkpoint %r of %s is ready (%d bytes)", name, t.database, bytes_
    )
    return {"database": t.database, "checkpoint": name, "bytes": bytes_}


def drop_checkpoint(ctx: Context[Any], t: Target) -> dict[str, object]:
    name = checkpoint_name(ctx)
    t.server.wait()
    t.server.psql(DROP_CHECKPOINT_SQL, copies(t, name))
    ctx.log.info("checkpoint %r of %s dropped", name, t.database)
    return {"database": t.database, "checkpoint": name}


def _size(t: Target, where: str, variables: dict[str, str]) -> int:
    return int(t.server.psql(SIZE_SQL.format(where=where), variables) or 0)


def usage(ctx: Context[Any], t: Target) -> dict[str, object]:
    t.server.wait()
    prefix = checkpoint_prefix(t.database)
    return {
        "database": t.database,
        "bytes": _size(t, "datname = :'d'", {"d": t.database}),
        "checkpoint_bytes": _size(t, "datname LIKE :'p' || '%'", {"p": prefix}),
    }


def remove(t: Target) -> None:
    """A rollback's work, in one session: the database (its sessions ended), its checkpoints
    and their companions, and the owner role."""
    variables = {"database": t.database, "owner": t.owner}
    t.server.psql(REMOVE_SQL, {**variables, "prefix": checkpoint_prefix(t.database)})


def actions(locate: Callable[[Context[Any]], Target]) -> dict[str, Action]:
    """The five data actions for ``run(actions=…)``; ``locate`` says which database a step
    manages (it may raise InvalidInput for bad params)."""

    def bound(action: Callable[[Context[Any], Target], dict[str, object]]) -> Action:
        def handler(ctx: Context[Any]) -> dict[str, object]:
            return action(ctx, locate(ctx))

        handler.__name__ = action.__name__
        return handler

    return {
        "checkpoint": bound(checkpoint),
        "reset": bound(reset),
        "drop_checkpoint": bound(drop_checkpoint),
        "usage": bound(usage),
        "prepare_reset": bound(prepare_reset),
    }
