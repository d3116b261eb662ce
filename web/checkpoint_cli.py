"""`shoal checkpoint`: a deployment's database checkpoints from a script (over the JSON API),
so a test suite can reset its data between runs (docs/data.md).

    shoal checkpoint list  --project shop --name pr-42 [--env qa]
    shoal checkpoint save  --project shop --name pr-42 [--database appdb] CHECKPOINT
    shoal checkpoint reset --project shop --name pr-42 [--database appdb] CHECKPOINT
    shoal checkpoint delete --project shop --name pr-42 [--database appdb] CHECKPOINT
    shoal checkpoint reset --seed --project shop --name pr-42 --database appdb

`--database` is the plugin step's node id; it may be left out when the deployment has one
database. Exit 0 when done, 2 for bad input or a refused request (the reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from web.ci_client import ClientError, ShoalClient

ACTIONS = ("list", "save", "reset", "delete")
WAIT_S = 3600.0  # a save or reset copies the database: as long as the server allows


def add_command(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("checkpoint", help="save or reset a deployment's database data")
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("checkpoint", nargs="?", default="", help="the checkpoint's name")
    parser.add_argument("--url", help="Shoal's address (default: $SHOAL_URL)")
    parser.add_argument("--project", required=True)
    parser.add_argument("--env", help="environment name (needed if the name is live in two)")
    parser.add_argument("--name", required=True, help="deployment name, e.g. pr-42")
    parser.add_argument("--database", help="the database's pipeline step, e.g. appdb")
    parser.add_argument(
        "--seed", action="store_true", help="reset: back to the dataset's seeded state"
    )


def _deployment(client: ShoalClient, args: argparse.Namespace) -> int:
    project_id = client.project_id(args.project)
    environment_id = client.environment_id(args.env) if args.env else None
    found = client.live(project_id, args.name, environment_id)
    if not found:
        where = f" in {args.env}" if args.env else ""
        raise ClientError(f"no live deployment named '{args.name}' in {args.project}{where}")
    if len(found) > 1:
        envs = ", ".join(sorted(d["environment_name"] for d in found))
        raise ClientError(f"'{args.name}' is live in {envs}: say which with --env")
    return int(found[0]["id"])


def _database(databases: list[dict], wanted: str | None) -> dict:
    steps = [d["step"] for d in databases]
    if wanted:
        for database in databases:
            if database["step"] == wanted:
                return database
        raise ClientError(f"no database step '{wanted}' (there are: {', '.join(steps) or 'none'})")
    if len(databases) != 1:
        raise ClientError(f"say which database with --database ({', '.join(steps) or 'none'})")
    return databases[0]


def run(client: ShoalClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.seed:
        return _reset_to_seed(client, args, out)
    if args.action != "list" and not args.checkpoint:
        raise ClientError(f"name the checkpoint: shoal checkpoint {args.action} … NAME")
    deployment_id = _deployment(client, args)
    databases = client.request("GET", f"/deployments/{deployment_id}/databases")
    if args.action == "list":
        for database in databases:
            for c in database["checkpoints"]:
                size = c["size_bytes"] / 1048576
                who = c["created_by"] or "-"
                line = f"{database['step']}\t{c['name']}\t{who}\t{c['created_at']}\t{size:.1f} MB"
                out.write(line + "\n")
        return 0
    database = _database(databases, args.database)
    if args.action == "save":
        path = f"/deployments/{deployment_id}/databases/{database['step']}/checkpoints"
        saved = client.request("POST", path, json={"name": args.checkpoint}, timeout=WAIT_S)
        out.write(f"saved {database['step']}: {saved['name']}\n")
        return 0
    matching = [c for c in database["checkpoints"] if c["name"] == args.checkpoint]
    if not matching:
        raise ClientError(f"{database['step']} has no checkpoint '{args.checkpoint}'")
    path = f"/deployments/{deployment_id}/checkpoints/{matching[0]['id']}"
    if args.action == "delete":
        client.request("DELETE", path)
        out.write(f"deleted {database['step']}: {args.checkpoint}\n")
        return 0
    done = client.request("POST", f"{path}/reset", timeout=WAIT_S)
    out.write(f"reset {database['step']} to {args.checkpoint} in {done['duration_s']:.1f} s\n")
    return 0


def _reset_to_seed(client: ShoalClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.action != "reset" or args.checkpoint or not args.database:
        raise ClientError("--seed goes with reset, --database STEP and no checkpoint name")
    deployment_id = _deployment(client, args)
    path = f"/deployments/{deployment_id}/databases/{args.database}/reset-seed"
    done = client.request("POST", path, timeout=WAIT_S)
    out.write(f"reset {args.database} to its seeded state in {done['duration_s']:.1f} s\n")
    return 0


def main(args: argparse.Namespace) -> int:
    """Runs `shoal checkpoint`; returns the exit code (messages already written)."""
    client = None
    try:
        token = os.environ.get("SHOAL_TOKEN", "").strip()
        client = ShoalClient(args.url or os.environ.get("SHOAL_URL", ""), token)
        return run(client, args, sys.stdout)
    except ClientError as exc:
        print(f"shoal: {exc}", file=sys.stderr)
        return exc.code
    finally:
        if client is not None:
            client.close()
