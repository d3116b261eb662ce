"""Start-up steps the CLI runs around the web server: master key, first admin, worker-only mode,
and the companions `up` starts on a laptop (Caddy, a local agent) when they are available."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import msgspec

from core import db
from core.actor import Actor
from core.jobs import make_queue, make_worker
from core.services import accounts, api_tokens
from core.settings import Settings

log = logging.getLogger("shoal")

# Filled by areas that run beside `up` (ingress, local agent): callables taking the settings.
companions: list = []


def ensure_secret_key(settings: Settings, *, generate: bool) -> Settings:
    """The master key: configured, or (for `up`) generated once into the data dir."""
    try:
        from core import crypto
    except ImportError:  # the catalog area brings the secret box; until then nothing to key
        return settings
    if settings.secret_key:
        crypto.key_from_settings(settings.secret_key)
        return settings
    if not generate:
        print(
            "shoal: no master key. Set SHOAL_SECRET_KEY (32 random bytes, base64; "
            "e.g. `python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`)"
            " or secret_key in the settings file.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    loaded = crypto.load_or_create_key(settings.data_path)
    return msgspec.structs.replace(settings, secret_key=crypto.encode_key(loaded.key))


def announce_first_admin(settings: Settings, dsn: str) -> None:
    async def create() -> str | None:
        await db.start_pool(2)
        try:
            return await accounts.ensure_first_admin("admin", settings.admin_password)
        finally:
            await db.close_pool()

    password = asyncio.run(create())
    if password:
        shown = "(from SHOAL_ADMIN_PASSWORD)" if settings.admin_password else password
        print(f"First admin created. Username: admin  Password: {shown}", flush=True)
        print("This password is shown only once.", flush=True)


def start_companions(settings: Settings) -> None:
    for start in companions:
        try:
            start(settings)
        except Exception as exc:
            print(f"note: {exc}", flush=True)


async def create_admin(dsn: str, username: str, password: str, *, print_token: bool) -> str:
    await db.start_pool(2)
    try:
        user = await accounts.create_user(
            Actor.system("shoal create-admin"), username=username, password=password, is_admin=True
        )
        if not print_token:
            return ""
        actor = Actor(id=user.id, username=user.username, is_admin=True)
        return (await api_tokens.create_token(actor, "create-admin")).token
    finally:
        await db.close_pool()


async def run_worker(settings: Settings, dsn: str) -> None:
    await db.start_pool(settings.db_pool_size)
    queue = make_queue(dsn, settings.db_pool_size)
    await queue.connect()
    worker = make_worker(queue, settings.worker_concurrency)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(worker.start())
    print("Shoal worker running; Ctrl-C to stop.", flush=True)
    await stop.wait()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    await queue.disconnect()
    await db.close_pool()
