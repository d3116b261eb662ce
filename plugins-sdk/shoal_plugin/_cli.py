"""``python -m shoal_plugin``: the developer loop (schema, run, build, push).

python -m shoal_plugin schema plugins/http-wait
python -m shoal_plugin run plugins/http-wait --param url=http://127.0.0.1:8080/
python -m shoal_plugin run plugins/http-wait --params-file p.json --image my/http-wait:1
python -m shoal_plugin build plugins/http-wait --tag my/http-wait:1 [--base IMAGE]
python -m shoal_plugin push my/http-wait:1 --registry 127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from ._image import build_image, push_image
from ._local import docker_command, image_command, run_local
from ._target import TargetError, entry_command, target_schema
from ._types import ACTIONS, EXIT_FAILED, EXIT_INVALID_INPUT, Deployment, invocation_document


def _pairs(items: list[str], what: str, json_values: bool) -> dict[str, Any]:
    """KEY=VALUE pairs; with json_values a value that parses as JSON is taken as JSON."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"{what} must look like KEY=VALUE, got {item!r}")
        if json_values:
            try:
                result[key] = json.loads(value)
                continue
            except ValueError:
                pass
        result[key] = value
    return result


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit(f"{what} must be a JSON object")
    return value


def _document(args: argparse.Namespace) -> dict[str, Any]:
    if args.input:
        return _json_object(Path(args.input).read_text(), args.input)
    params: dict[str, Any] = {}
    if args.params_file:
        params.update(_json_object(Path(args.params_file).read_text(), args.params_file))
    if args.params:
        params.update(_json_object(args.params, "--params"))
    params.update(_pairs(args.param, "--param", json_values=True))
    deployment = Deployment(
        id=args.deployment_id,
        name=args.deployment_name,
        environment=args.environment,
        urls=_pairs(args.url, "--url", json_values=False),
    )
    return invocation_document(
        args.action,
        params,
        deployment=deployment,
        secrets=_pairs(args.secret, "--secret", json_values=False),
        inputs=_json_object(args.inputs, "--inputs") if args.inputs else {},
    )


def _run(args: argparse.Namespace) -> int:
    document = _document(args)
    on_timeout = None
    if args.image:
        name = f"shoal-plugin-run-{uuid.uuid4().hex[:12]}"
        command = image_command(args.image, network=args.network, name=name)

        def on_timeout() -> None:
            subprocess.run([docker_command(), "rm", "-f", name], capture_output=True)
    else:
        command = entry_command(args.target)
    result = run_local(command, document, timeout_s=args.timeout, on_timeout=on_timeout)
    if result.document is not None:
        print(json.dumps(result.document, indent=2, ensure_ascii=False))
    elif result.stdout:
        print(result.stdout, end="" if result.stdout.endswith("\n") else "\n")
    if not result.ok:
        print(f"step failed: {result.problem}", file=sys.stderr)
    if result.exit_code not in (None, 0):
        return result.exit_code
    return 0 if result.ok else EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shoal_plugin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="print the parameter JSON Schema")
    schema.add_argument("target", help="plugin folder, file or module [:ParamsClass]")
    run = commands.add_parser("run", help="run the plugin once, as the agent would")
    run.add_argument("target", help="plugin folder or file (ignored with --image)")
    run.add_argument("--action", choices=ACTIONS, default="apply")
    run.add_argument("--input", help="a whole stdin document from a JSON file")
    run.add_argument("--params", help="params as inline JSON")
    run.add_argument("--params-file", help="params from a JSON file")
    run.add_argument("--param", action="append", default=[], help="KEY=VALUE (JSON or text)")
    run.add_argument("--secret", action="append", default=[], help="NAME=VALUE")
    run.add_argument("--inputs", help="inputs as inline JSON")
    run.add_argument("--url", action="append", default=[], help="NODE_ID=URL for deployment.urls")
    run.add_argument("--deployment-id", type=int, default=1)
    run.add_argument("--deployment-name", default="local")
    run.add_argument("--environment", default="local")
    run.add_argument("--image", help="run this image with docker instead of the local code")
    run.add_argument("--network", help="docker network to join (with --image)")
    run.add_argument("--timeout", type=float, default=300.0, help="seconds (default 300)")
    build = commands.add_parser("build", help="build the plugin folder into an image")
    build.add_argument("target", help="plugin folder")
    build.add_argument("--tag", required=True, help="image name:tag to create")
    build.add_argument("--base", help="base image, already local (nothing is pulled)")
    build.add_argument(
        "--nuitka", action="store_true", help="compile with Nuitka into a FROM scratch image"
    )
    push = commands.add_parser("push", help="push an image to a registry")
    push.add_argument("image")
    push.add_argument("--registry", required=True, help="registry host[:port]")
    push.add_argument("--name", help="name:tag in the registry (default: the image's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "schema":
            print(json.dumps(target_schema(args.target), indent=2))
            return 0
        if args.command == "run":
            return _run(args)
        if args.command == "build":
            build_image(Path(args.target), args.tag, args.base, compiled=args.nuitka)
            print(args.tag)
            return 0
        print(push_image(args.image, args.registry, args.name))
        return 0
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID_INPUT if args.command == "schema" else EXIT_FAILED
