"""Registries (admin): Docker Hub built in, private v2 registries with encrypted credentials,
connection checks and cached tag listings. The password is write-only: no view carries it.

Saving can be made to depend on a connection test (`test_first`, what the form does): a
registry that fails it is refused with ConnectionTestFailed until the caller confirms. The
API saves without testing (a script may register a registry before it is up).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
import msgspec

from core import crypto, runtime, validation
from core.actor import Actor
from core.domain import images
from core.domain.tags import compile_pattern, sort_tags
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.fields import MaxLen, Text
from core.registry_client import RegistryClient, RegistryError
from core.services import tag_cache
from core.services.audit import Target, audited
from core.services.unique import name_must_be_free
from core.tables import Plugin, Registry, Service

DOCKER_HUB_NAME = "docker-hub"


def _timeout_s() -> float:
    """Per registry request (`registry_timeout_s`): a registry slower than this gets a clear
    error, never a hung page."""
    return runtime.settings().registry_timeout_s


class RegistryView(msgspec.Struct):
    id: int
    name: str
    url: str
    username: str
    has_password: bool
    is_default: bool
    created_at: datetime


class RegistryInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    url: Text
    username: Annotated[Text, MaxLen(256)] = ""
    password: Annotated[str, MaxLen(4096)] | None = None  # stored encrypted: any character
    """None (or "" from a form) keeps the stored password; `clear_password` removes it."""
    clear_password: bool = False


class ConnectionTestFailed(InvalidInput):
    """Not saved: the values failed their connection test; saving untested needs a yes."""


class TagListing(msgspec.Struct):
    tags: list[str]
    fetched_at: datetime
    hint: str = ""


def _view(row: dict) -> RegistryView:
    return RegistryView(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        username=row["username"],
        has_password=bool(row["password_ciphertext"]),
        is_default=row["is_default"],
        created_at=row["created_at"],
    )


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage registries.")


async def _row(registry_id: int) -> dict:
    row = await Registry.select().where(Registry.id == registry_id).first().run()
    if row is None:
        raise NotFound("No such registry.")
    return row


async def get_registry(registry_id: int) -> RegistryView:
    return _view(await _row(registry_id))


async def list_registries() -> list[RegistryView]:
    rows = await Registry.select().order_by(Registry.is_default, ascending=False).run()
    return sorted((_view(r) for r in rows), key=lambda r: (not r.is_default, r.name))


async def ensure_default_registry() -> None:
    """Create the built-in Docker Hub entry if it is missing (idempotent; run at startup)."""
    if await Registry.exists().where(Registry.is_default.eq(True)).run():
        return
    try:
        await Registry.insert(
            Registry(name=DOCKER_HUB_NAME, url=images.DOCKER_HUB_URL, is_default=True)
        ).run()
    except asyncpg.UniqueViolationError:
        pass  # another process won the race, or an admin registry already took the name


def _clean(data: RegistryInput) -> dict:
    return {
        "name": validation.dns_label(data.name),
        "url": images.check_registry_url(data.url),
        "username": validation.text(data.username, "username", max_length=256, required=False),
    }


async def _store_password(registry_id: int, data: RegistryInput) -> None:
    if data.clear_password:
        sealed = ""
    elif data.password:
        if len(data.password) > 4096:
            raise InvalidInput("At most 4096 characters.", "password")
        context = crypto.registry_password_context(registry_id)
        sealed = runtime.box().encrypt(data.password, context)
    else:
        return
    await (
        Registry.update({Registry.password_ciphertext: sealed})
        .where(Registry.id == registry_id)
        .run()
    )


async def _test_before_saving(registry_id: int | None, data: RegistryInput) -> None:
    try:
        await check_connection(registry_id, data)
    except RegistryError as exc:
        raise ConnectionTestFailed(f"Not saved: the connection test failed. {exc.detail}") from exc


def _reaches_differently(old: dict, values: dict, data: RegistryInput) -> bool:
    """Would these values talk to the registry differently from the stored ones?"""
    changed = old["url"] != values["url"] or old["username"] != values["username"]
    return changed or bool(data.password) or data.clear_password


async def create_registry(
    actor: Actor, data: RegistryInput, *, test_first: bool = False
) -> RegistryView:
    async with audited(actor, "registry.create", Target("registry", name=data.name[:64])) as audit:
        _admin(actor)
        values = _clean(data)
        runtime.box()  # refuse before inserting anything if no key is configured
        if test_first:
            await _test_before_saving(None, data)
        async with Registry._meta.db.transaction():
            with name_must_be_free("A registry", values["name"]):
                row = (await Registry.insert(Registry(**values)).returning(Registry.id).run())[0]
            await _store_password(row["id"], data)
        audit.target = Target("registry", row["id"], values["name"])
    return await get_registry(row["id"])


async def update_registry(
    actor: Actor, registry_id: int, data: RegistryInput, *, test_first: bool = False
) -> RegistryView:
    """`test_first` tests only values that reach the registry differently (a rename of a
    registry that is down right now needs no confirmation)."""
    async with audited(actor, "registry.update", Target("registry", registry_id)) as audit:
        _admin(actor)
        old = await _row(registry_id)
        audit.target = Target("registry", old["id"], old["name"])
        values = _clean(data)
        if test_first and _reaches_differently(old, values, data):
            await _test_before_saving(registry_id, data)
        if data.clear_password or data.password:
            audit.detail = "password removed" if data.clear_password else "password replaced"
        async with Registry._meta.db.transaction():
            with name_must_be_free("A registry", values["name"]):
                await Registry.update(values).where(Registry.id == registry_id).run()
            await _store_password(registry_id, data)
    tag_cache.forget_registry(registry_id)
    return await get_registry(registry_id)


async def registry_usage(registry_id: int) -> list[str]:
    """Human-readable list of what uses the registry ("service web", "plugin migrate")."""
    services = await Service.select(Service.name).where(Service.registry == registry_id).run()
    plugins = await Plugin.select(Plugin.name).where(Plugin.registry == registry_id).run()
    return [f"service {r['name']}" for r in services] + [f"plugin {r['name']}" for r in plugins]


async def delete_registry(actor: Actor, registry_id: int) -> None:
    async with audited(actor, "registry.delete", Target("registry", registry_id)) as audit:
        _admin(actor)
        old = await _row(registry_id)
        audit.target = Target("registry", old["id"], old["name"])
        if old["is_default"]:
            raise Conflict("Docker Hub is built in and cannot be deleted.")
        used_by = await registry_usage(registry_id)
        if used_by:
            raise Conflict(f"'{old['name']}' is still used by {', '.join(used_by)}.")
        try:
            await Registry.delete().where(Registry.id == registry_id).run()
        except asyncpg.ForeignKeyViolationError as exc:  # something was added meanwhile
            raise Conflict(f"'{old['name']}' is still in use.") from exc
    tag_cache.forget_registry(registry_id)


async def credentials(registry_id: int) -> tuple[str, str, str]:
    """(url, username, password) for talking to the registry; the password decrypted here."""
    row = await _row(registry_id)
    password = ""
    if row["password_ciphertext"]:
        context = crypto.registry_password_context(registry_id)
        password = runtime.box().decrypt(row["password_ciphertext"], context)
    return row["url"], row["username"], password


async def check_connection(
    registry_id: int | None = None, data: RegistryInput | None = None
) -> str:
    """Test a saved registry, or unsaved form values. An empty password reuses the stored one,
    but only for the stored URL: a test must not carry a saved password to another host."""
    url, username, password = await credentials(registry_id) if registry_id else ("", "", "")
    if data is not None:
        typed_url = images.check_registry_url(data.url)
        if data.password:
            password = data.password
        elif data.clear_password or typed_url != url:
            password = ""
        url, username = typed_url, data.username.strip()
    async with RegistryClient(url, username, password, timeout_s=_timeout_s()) as client:
        return await client.check()


async def list_tags(
    registry_id: int, image: str, pattern: str = "", *, refresh: bool = False
) -> TagListing:
    """Tags of `image`, filtered by the glob `pattern` (if any), highest first."""
    image = images.check_image(image)
    compiled = compile_pattern(pattern) if pattern else None
    url, username, password = await credentials(registry_id)

    async def fetch() -> list[str]:
        async with RegistryClient(url, username, password, timeout_s=_timeout_s()) as client:
            return await client.list_tags(images.repository(url, image))

    access = tag_cache.fingerprint(url, username, password)
    every, fetched_at = await tag_cache.get_tags(registry_id, access, image, fetch, refresh=refresh)
    tags = sort_tags([t for t in every if compiled is None or compiled.fullmatch(t)])
    hint = ""
    if not every:
        hint = f"'{image}' has no tags yet."
    elif not tags:
        hint = f"None of the {len(every)} tags of '{image}' match '{pattern}'."
    return TagListing(tags=tags, fetched_at=fetched_at, hint=hint)
