"""Start-up steps the CLI runs around the web server: master key, first admin, worker-only mode,
and the companions `up` starts on a laptop (Caddy, a local agent) when they are available."""

from __future__ import annotations

import asyncio
import logging
import sys

import msgspec

from core import crypto, db, runtime
from core.actor import Actor
from core.jobs import make_queue, make_worker
from core.services import accounts, api_tokens
from core.settings import Settings
from web import local_agent

log = logging.getLogger("shoal")

# What `up` runs beside the web server on a laptop, callables taking the settings (its Caddy
# is the ingress's own: create_app(own_caddy=True)).
companions: list = [local_agent.start_local_agent]


def master_keys(settings: Settings) -> tuple[bytes, list[bytes]]:
    """(primary, older) keys from the settings; KeyConfigError says what is wrong."""
    primary = crypto.key_from_settings(settings.secret_key)
    older = [
        crypto.key_from_settings(k, "SHOAL_OLD_SECRET_KEYS")
        for k in settings.old_secret_keys.split(",")
        if k.strip()
    ]
    return primary, older


def ensure_secret_key(settings: Settings, *, generate: bool) -> Settings:
    """The master key: configured, or (for `up`) generated once into the data dir."""
    try:
        if settings.secret_key:
            master_keys(settings)
            return settings
        if not generate:
            print(
                "shoal: no master key. Set SHOAL_SECRET_KEY (32 random bytes, base64; e.g. "
                "`python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`)"
                " or secret_key in the settings file.",
                file=sys.stderr,
            )
            raise SystemExit(2)
        loaded = crypto.load_or_create_key(settings.data_path)
    except crypto.KeyConfigError as exc:
        print(f"shoal: {exc.detail}", file=sys.stderr)
        raise SystemExit(2) from exc
    if loaded.created:
        print(loaded.message, flush=True)
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
    """`shoal worker`: SAQ's own SIGINT/SIGTERM handling stops it gracefully."""
    # What `serve` sets up for its own worker: jobs open sealed values (secrets, channel
    # configs), link to the public URL and enqueue follow-up jobs.
    made = runtime.Runtime.from_settings(settings)
    runtime.enter(made)  # before the worker starts: its jobs' tasks inherit it
    await db.start_pool(settings.db_pool_size)
    queue = make_queue(dsn, settings.db_pool_size)
    await queue.connect()
    made.queue = queue
    print("Shoal worker running; Ctrl-C to stop.", flush=True)
    try:
        await make_worker(queue, settings.worker_concurrency).start()
    finally:
        await queue.disconnect()
        await db.close_pool()


async def rotate_key(
    settings: Settings, dsn: str, new_key_text: str | None, from_file: bool
) -> str:
    """Re-seal every ciphertext under a new master key; say what the operator must do next."""
    from core.services import key_rotation

    primary, older = master_keys(settings)
    new_key = crypto.key_from_settings(new_key_text, "--new-key") if new_key_text else None
    new_key = new_key or crypto.generate_key()
    runtime.enter(runtime.Runtime(settings=settings, box=crypto.SecretBox(primary, older)))
    await db.start_pool(2)
    try:
        counts = await key_rotation.rotate_all([primary, *older], new_key)
    finally:
        await db.close_pool()
    done = ", ".join(f"{n} {what}" for what, n in counts.items())
    if from_file:
        path = key_rotation.replace_key_file(settings.data_path, new_key)
        return f"Re-encrypted {done}. The new key is in {path}; the old one was kept beside it."
    return (
        f"Re-encrypted {done}.\nNew key: {crypto.encode_key(new_key)}\nSet SHOAL_SECRET_KEY to it"
        " and keep the old key in SHOAL_OLD_SECRET_KEYS until every process has restarted."
    )
