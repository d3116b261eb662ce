"""`shoal` command line: up | serve | worker | migrate | create-admin | rotate-key, and the CI
client commands deploy | delete | list (web/ci_cli.py), exec (web/exec_cli.py) and checkpoint
(web/checkpoint_cli.py).

`up` is the laptop path (embedded PostgreSQL, generated key, first admin printed, local Caddy
and agent when available); `serve` is the production path and expects its dependencies.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
import tempfile

from core import db
from core.errors import ShoalError
from core.settings import Settings, SettingsError, load_settings
from web import bootstrap, checkpoint_cli, ci_cli, exec_cli, shutdown

log = logging.getLogger("shoal")


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # pgserver narrates every initdb/pg_ctl call at INFO; only its problems matter here.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("piccolo").setLevel(logging.WARNING)
    # Per-request chatter (every Caddy admin call, every cron enqueue) hides what matters.
    for chatty in ("httpx", "saq"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver's platformdirs warns without one
        runtime = os.path.join(tempfile.gettempdir(), f"shoal-runtime-{os.getuid()}")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = runtime


def _prepare(settings: Settings) -> str:
    """DSN of a migrated database, or a clear message and exit code 2."""
    try:
        dsn = db.resolve_dsn(settings)
        db.configure(dsn)
        applied = asyncio.run(db.migrate())
    except ShoalError as exc:
        print(f"shoal: {exc.detail}", file=sys.stderr)
        raise SystemExit(2) from exc
    if applied:
        log.info("applied %d migration(s) on %s", len(applied), db.describe(dsn))
    return dsn


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    _prepare(settings)
    print("database is up to date")


def cmd_serve(settings: Settings, args: argparse.Namespace, *, laptop: bool = False) -> None:
    import uvicorn

    from web.app import create_app

    dsn = _prepare(settings)
    settings = bootstrap.ensure_secret_key(settings, generate=laptop)
    if laptop:
        bootstrap.announce_first_admin(settings, dsn)
        bootstrap.start_companions(settings)
    app = create_app(settings, dsn, run_worker=not args.no_worker, own_caddy=laptop)
    print(f"Shoal is running at {settings.effective_public_url}/", flush=True)
    # Open SSE streams (live pages, log viewers) would hold a graceful shutdown forever.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 (any local user); the app
        # believes it only from `trusted_proxies` (web/client_ip.py).
        proxy_headers=False,
        loop="uvloop",
        http="httptools",
    )


def cmd_up(settings: Settings, args: argparse.Namespace) -> None:
    """`serve` on a laptop; whatever way it ends (but SIGKILL), it stops what it started."""
    shutdown.exit_on_signals()
    try:
        cmd_serve(settings, args, laptop=True)
    finally:
        shutdown.finish(settings)


def cmd_worker(settings: Settings, _: argparse.Namespace) -> None:
    dsn = _prepare(settings)
    asyncio.run(bootstrap.run_worker(settings, dsn))


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> None:
    dsn = _prepare(settings)
    password = args.password or getpass.getpass("Password for the new admin: ")
    try:
        token = asyncio.run(
            bootstrap.create_admin(dsn, args.username, password, print_token=args.print_token)
        )
    except ShoalError as exc:
        print(f"shoal: {exc.detail}", file=sys.stderr)
        raise SystemExit(2) from exc
    print(f"admin '{args.username}' created")
    if token:
        print(token)


def cmd_rotate_key(settings: Settings, args: argparse.Namespace) -> None:
    dsn = _prepare(settings)
    from_file = not settings.secret_key
    settings = bootstrap.ensure_secret_key(settings, generate=from_file)
    try:
        message = asyncio.run(bootstrap.rotate_key(settings, dsn, args.new_key, from_file))
    except ShoalError as exc:
        print(f"shoal: {exc.detail}", file=sys.stderr)
        raise SystemExit(2) from exc
    print(message)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shoal", description="Self-hosted QA environments.")
    parser.add_argument("--config", help="settings file (default: litestar.toml or SHOAL_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run everything on this machine (embedded database)")
    up.add_argument("--no-worker", action="store_true", help=argparse.SUPPRESS)
    serve = sub.add_parser("serve", help="run the web server and a background worker")
    serve.add_argument("--no-worker", action="store_true", help="do not run a SAQ worker here")
    sub.add_parser("worker", help="run a background worker only")
    sub.add_parser("migrate", help="apply database migrations")
    admin = sub.add_parser("create-admin", help="create an admin user")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--password", help="default: asked for interactively")
    admin.add_argument("--print-token", action="store_true", help="also print an API token")
    rotate = sub.add_parser("rotate-key", help="re-encrypt every stored secret under a new key")
    rotate.add_argument("--new-key", help="the new key (base64, 32 bytes); default: a random one")
    ci_cli.add_commands(sub)
    exec_cli.add_command(sub)
    checkpoint_cli.add_command(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command in ci_cli.COMMANDS:  # a client of a running Shoal: no settings, no database
        raise SystemExit(ci_cli.run(args))
    if args.command == "exec":
        raise SystemExit(exec_cli.main(args))
    if args.command == "checkpoint":
        raise SystemExit(checkpoint_cli.main(args))
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"shoal: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    _setup_logging(settings)
    commands = {
        "up": cmd_up,
        "serve": cmd_serve,
        "worker": cmd_worker,
        "migrate": cmd_migrate,
        "create-admin": cmd_create_admin,
        "rotate-key": cmd_rotate_key,
    }
    commands[args.command](settings, args)


if __name__ == "__main__":
    main()
