"""`shoal exec`: a one-shot command in a running service, for CI scripts (over the JSON API).

    shoal exec --project shop --name pr-42 --service web [--env qa] [--timeout 60] -- cmd args…

The command's stdout and stderr are written to ours (as bytes: base64 output is decoded) and
its exit code is ours, so `value=$(shoal exec … -- cat /etc/version)` works in a script.
Exit 124 when it timed out (as `timeout` does), 2 for bad input or a refused request. Output
beyond the server's bound (1 MiB per stream) is cut, with a note on stderr.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from typing import BinaryIO

from web.ci_client import ClientError, ShoalClient

TIMED_OUT = 124


def add_command(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("exec", help="run a command in a running service ($SHOAL_TOKEN)")
    parser.add_argument("--url", help="Shoal's address (default: $SHOAL_URL)")
    parser.add_argument("--project", required=True)
    parser.add_argument("--env", help="environment name (needed if the name is live in two)")
    parser.add_argument("--name", required=True, help="deployment name, e.g. pr-42")
    parser.add_argument("--service", required=True, help="the service's pipeline node, e.g. web")
    parser.add_argument("--timeout", type=float, default=60, help="seconds it may run (max 600)")
    parser.add_argument(
        "argv", nargs=argparse.REMAINDER, metavar="-- command", help="the command and its args"
    )


def run(client: ShoalClient, args: argparse.Namespace, out: BinaryIO, err: BinaryIO) -> int:
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        raise ClientError("no command: write it after --, e.g. shoal exec … -- ls /")
    project_id = client.project_id(args.project)
    environment_id = client.environment_id(args.env) if args.env else None
    found = client.live(project_id, args.name, environment_id)
    if not found:
        where = f" in {args.env}" if args.env else ""
        raise ClientError(f"no live deployment named '{args.name}' in {args.project}{where}")
    if len(found) > 1:
        envs = ", ".join(sorted(d["environment_name"] for d in found))
        raise ClientError(f"'{args.name}' is live in {envs}: say which with --env")
    path = f"/deployments/{found[0]['id']}/services/{args.service}/exec"
    body = {"command": command, "timeout": args.timeout}
    result = client.request("POST", path, json=body, timeout=args.timeout + 30)
    for stream, name in ((out, "stdout"), (err, "stderr")):
        data = result[name]
        stream.write(
            base64.b64decode(data) if result[f"{name}_encoding"] == "base64" else data.encode()
        )
        stream.flush()
    for name in ("stdout", "stderr"):
        if result[f"{name}_truncated"]:
            err.write(f"shoal: {name} was cut at the server's limit\n".encode())
    if result["timed_out"]:
        err.write(f"shoal: timed out after {args.timeout:g} s (it may still run)\n".encode())
        return TIMED_OUT
    return int(result["exit_code"])


def main(args: argparse.Namespace) -> int:
    """Runs `shoal exec`; returns the exit code (messages already written)."""
    client = None
    try:
        token = os.environ.get("SHOAL_TOKEN", "").strip()
        client = ShoalClient(args.url or os.environ.get("SHOAL_URL", ""), token)
        return run(client, args, sys.stdout.buffer, sys.stderr.buffer)
    except ClientError as exc:
        print(f"shoal: {exc}", file=sys.stderr)
        return exc.code
    finally:
        if client is not None:
            client.close()
