"""`shoal deploy | delete | list`: the CI side of previews, over the JSON API.

    shoal deploy --project shop --env qa --name pr-42 --tag web=pr-42 [--ttl 8] --wait
    shoal delete --project shop --name pr-42 [--env qa] [--wait]
    shoal list [--project shop] [--json]

A deploy whose name is already live in that environment replaces it: the old one is deleted
(its run rolled back) and the new one created under the same name, so its URLs stay the
same. `--wait` prints each status change on stderr and, at the end, one JSON document on
stdout (id, status, urls, page) for the next CI step; exit 1 when the deployment failed or
the wait timed out, 2 for bad input or a refused request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from web.ci_client import ClientError, ShoalClient, parse_tags

SETTLED = {"running", "failed", "deleted", "sleeping"}
POLL_S = 1.0
COMMANDS = ("deploy", "delete", "list")


def add_commands(sub: argparse._SubParsersAction) -> None:
    def client_parser(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument("--url", help="Shoal's address (default: $SHOAL_URL)")
        return parser

    deploy = client_parser("deploy", "create or replace a deployment (for CI; $SHOAL_TOKEN)")
    deploy.add_argument("--project", required=True)
    deploy.add_argument("--env", required=True, help="environment name")
    deploy.add_argument("--name", required=True, help="deployment name, e.g. pr-42")
    deploy.add_argument(
        "--tag", action="append", default=[], metavar="SERVICE=TAG", help="repeat per service"
    )
    deploy.add_argument("--ttl", type=int, metavar="HOURS", help="expire after HOURS idle")
    _wait_flags(deploy)
    delete = client_parser("delete", "delete a deployment by name (for CI; $SHOAL_TOKEN)")
    delete.add_argument("--project", required=True)
    delete.add_argument("--env", help="environment name (needed if the name is live in two)")
    delete.add_argument("--name", required=True)
    _wait_flags(delete)
    listing = client_parser("list", "list deployments (for CI; $SHOAL_TOKEN)")
    listing.add_argument("--project")
    listing.add_argument("--json", action="store_true", help="the API's JSON, unshortened")


def _wait_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", action="store_true", help="wait until it has settled")
    parser.add_argument("--timeout", type=int, default=900, help="seconds --wait may take")


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Runs one client command; returns its exit code (messages already written)."""
    client = None
    try:
        client = ShoalClient(args.url or os.environ.get("SHOAL_URL", ""), _token())
        command = {"deploy": deploy, "delete": delete, "list": list_}[args.command]
        return command(client, args, out, lambda line: print(f"shoal: {line}", file=err))
    except ClientError as exc:
        print(f"shoal: {exc}", file=err)
        return exc.code
    finally:
        if client is not None:
            client.close()


def _token() -> str:
    return os.environ.get("SHOAL_TOKEN", "").strip()


Say = Callable[[str], None]


def deploy(client: ShoalClient, args: argparse.Namespace, out: TextIO, say: Say) -> int:
    tags = parse_tags(args.tag)
    if args.ttl is not None and args.ttl < 1:
        raise ClientError("--ttl is a number of hours, at least 1")
    deadline = time.monotonic() + args.timeout
    project_id = client.project_id(args.project)
    environment_id = client.environment_id(args.env)
    for old in client.live(project_id, args.name, environment_id):
        say(f"replacing {old['name']} (#{old['id']}, {old['status']})")
        client.delete(old["id"])
        # The name is free for the new one only once the old one is gone.
        _wait(client, old["id"], {"deleted"}, deadline, say)
    dep = client.create(project_id, environment_id, args.name, tags)
    say(f"created {dep['name']} (#{dep['id']}) with {_tags(dep['tags'])}")
    if args.ttl:
        dep = client.extend(dep["id"], args.ttl)
    if args.wait:
        dep = _wait(client, dep["id"], SETTLED, deadline, say)
    print(json.dumps(_summary(client, dep)), file=out)
    if dep["status"] == "failed":
        say(f"{dep['name']} failed: {dep['error'] or 'no reason given'}")
        return 1
    return 0


def delete(client: ShoalClient, args: argparse.Namespace, out: TextIO, say: Say) -> int:
    project_id = client.project_id(args.project)
    environment_id = client.environment_id(args.env) if args.env else None
    found = client.live(project_id, args.name, environment_id)
    if not found:
        where = f" in {args.env}" if args.env else ""
        raise ClientError(f"no live deployment named '{args.name}' in {args.project}{where}")
    if len(found) > 1:
        envs = ", ".join(sorted(d["environment_name"] for d in found))
        raise ClientError(f"'{args.name}' is live in {envs}: say which with --env")
    dep = client.delete(found[0]["id"])
    say(f"deleting {dep['name']} (#{dep['id']})")
    if args.wait:
        dep = _wait(client, dep["id"], {"deleted"}, time.monotonic() + args.timeout, say)
    print(json.dumps(_summary(client, dep)), file=out)
    return 0


def list_(client: ShoalClient, args: argparse.Namespace, out: TextIO, _: Say) -> int:
    project_id = client.project_id(args.project) if args.project else None
    rows = [d for d in client.deployments(project_id) if d["status"] != "deleted"]
    if args.json:
        print(json.dumps(rows), file=out)
        return 0
    header = ("ID", "NAME", "STATUS", "PROJECT", "ENVIRONMENT", "TAGS")
    table = [header] + [
        (
            str(d["id"]),
            d["name"],
            d["status"],
            d["project_name"],
            d["environment_name"],
            _tags(d["tags"]),
        )
        for d in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + row[-1], file=out)
    return 0


def _wait(
    client: ShoalClient, deployment_id: int, until: set[str], deadline: float, say: Say
) -> dict:
    """Polls until the deployment reaches one of `until` (or fails); prints each new status."""
    seen = ""
    while True:
        dep = client.get(deployment_id)
        if dep is None:  # out of sight: only a deleted one goes there
            return {"id": deployment_id, "name": "", "status": "deleted", "urls": {}, "error": ""}
        if dep["status"] != seen:
            seen = dep["status"]
            say(f"{dep['name']} is {seen.replace('_', ' ')}" + _why(dep))
        if seen in until or seen == "failed":
            return dep
        if time.monotonic() > deadline:
            raise ClientError(f"{dep['name']} is still {seen} after the --timeout", code=1)
        time.sleep(POLL_S)


def _why(dep: dict) -> str:
    if dep["status"] == "waiting_for_image":
        return f" ({_tags(dep['tags'])})"
    return ""


def _tags(tags: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "default tags"


def _summary(client: ShoalClient, dep: dict) -> dict:
    return {
        "id": dep["id"],
        "name": dep["name"],
        "status": dep["status"],
        "project": dep.get("project_name"),
        "environment": dep.get("environment_name"),
        "tags": dep.get("tags", {}),
        "urls": dep.get("urls", {}),
        "page": f"{client.url}/deployments/{dep['id']}",
        "expires_at": dep.get("expires_at"),
        "error": dep.get("error", ""),
    }
