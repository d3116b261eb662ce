"""OpenID providers (admin): added in the UI or listed in litestar.toml (`oidc_providers`,
kept in step at startup and read-only in the UI), with the client secret sealed by the
master key and never shown again. Group → team mappings live in sso_groups.py."""

from __future__ import annotations

import os
from datetime import datetime

import msgspec

from core import crypto, runtime, validation
from core.actor import Actor
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.oidc.client import ProviderConfig
from core.services.audit import Target, audited
from core.services.unique import name_must_be_free
from core.settings import OidcProviderSetting
from core.tables import OidcProvider

SOURCE_UI, SOURCE_SETTINGS = "ui", "settings"


class ProviderView(msgspec.Struct):
    id: int
    name: str
    display_name: str
    issuer: str
    client_id: str
    has_secret: bool
    scopes: str
    groups_claim: str
    source: str
    enabled: bool
    created_at: datetime


class ProviderInput(msgspec.Struct, kw_only=True):
    name: str
    issuer: str
    client_id: str
    client_secret: str | None = None
    """None or "" keeps the stored secret (a form never shows it back)."""
    display_name: str = ""
    scopes: str = "openid profile email"
    groups_claim: str = "groups"
    enabled: bool = True


def _view(row: dict) -> ProviderView:
    fields = {k: row[k] for k in ProviderView.__struct_fields__ if k in row}
    return ProviderView(**fields, has_secret=bool(row["client_secret_ciphertext"]))


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage sign-in providers.")


async def _row(provider_id: int) -> dict:
    row = await OidcProvider.select().where(OidcProvider.id == provider_id).first().run()
    if row is None:
        raise NotFound("No such sign-in provider.")
    return row


async def get_provider(provider_id: int) -> ProviderView:
    return _view(await _row(provider_id))


async def provider_by_name(name: str) -> ProviderView:
    row = await OidcProvider.select().where(OidcProvider.name == name).first().run()
    if row is None or not row["enabled"]:
        raise NotFound("No such sign-in provider.")
    return _view(row)


async def list_providers(*, enabled_only: bool = False) -> list[ProviderView]:
    query = OidcProvider.select().order_by(OidcProvider.name)
    if enabled_only:
        query = query.where(OidcProvider.enabled.eq(True))
    return [_view(r) for r in await query.run()]


async def client_config(provider_id: int) -> ProviderConfig:
    """What the OIDC client needs, the secret opened (only for talking to the provider)."""
    row = await _row(provider_id)
    secret = ""
    if row["client_secret_ciphertext"]:
        context = crypto.oidc_client_secret_context(row["id"])
        secret = runtime.box().decrypt(row["client_secret_ciphertext"], context)
    return ProviderConfig(
        issuer=row["issuer"], client_id=row["client_id"], client_secret=secret, scopes=row["scopes"]
    )


def _clean(data: ProviderInput) -> dict:
    issuer = validation.text(data.issuer, "issuer", max_length=512).rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise InvalidInput("The issuer is an http(s) URL.", "issuer")
    scopes = validation.text(data.scopes, "scopes", max_length=256) or "openid"
    if "openid" not in scopes.split():
        raise InvalidInput("The scopes must include 'openid'.", "scopes")
    name = validation.dns_label(data.name)
    return {
        "name": name,
        "display_name": validation.text(data.display_name, "display_name", max_length=64)
        if data.display_name.strip()
        else name,
        "issuer": issuer,
        "client_id": validation.text(data.client_id, "client_id", max_length=256),
        "scopes": " ".join(scopes.split()),
        "groups_claim": validation.text(
            data.groups_claim, "groups_claim", max_length=64, required=False
        ),
        "enabled": data.enabled,
    }


async def _store_secret(provider_id: int, secret: str | None) -> None:
    if not secret:
        return
    if len(secret) > 4096:
        raise InvalidInput("At most 4096 characters.", "client_secret")
    sealed = runtime.box().encrypt(secret, crypto.oidc_client_secret_context(provider_id))
    await (
        OidcProvider.update({OidcProvider.client_secret_ciphertext: sealed})
        .where(OidcProvider.id == provider_id)
        .run()
    )


async def create_provider(
    actor: Actor, data: ProviderInput, *, source: str = SOURCE_UI
) -> ProviderView:
    async with audited(actor, "sso.create", Target("sso_provider", name=data.name[:64])) as a:
        _admin(actor)
        values = _clean(data)
        runtime.box()  # refuse before inserting anything if no key is configured
        async with OidcProvider._meta.db.transaction():
            with name_must_be_free("A sign-in provider", values["name"]):
                row = OidcProvider(**values, source=source)
                inserted = await OidcProvider.insert(row).returning(OidcProvider.id).run()
            await _store_secret(inserted[0]["id"], data.client_secret)
        a.target = Target("sso_provider", inserted[0]["id"], values["name"])
    return await get_provider(inserted[0]["id"])


async def update_provider(
    actor: Actor, provider_id: int, data: ProviderInput, *, from_settings: bool = False
) -> ProviderView:
    async with audited(actor, "sso.update", Target("sso_provider", provider_id)) as a:
        _admin(actor)
        old = await _row(provider_id)
        a.target = Target("sso_provider", provider_id, old["name"])
        if old["source"] == SOURCE_SETTINGS and not from_settings:
            raise Conflict("This provider comes from litestar.toml: change it there.")
        values = _clean(data)
        async with OidcProvider._meta.db.transaction():
            with name_must_be_free("A sign-in provider", values["name"]):
                changes = {getattr(OidcProvider, k): v for k, v in values.items()}
                await OidcProvider.update(changes).where(OidcProvider.id == provider_id).run()
            await _store_secret(provider_id, data.client_secret)
    return await get_provider(provider_id)


async def delete_provider(actor: Actor, provider_id: int) -> None:
    """Its identities, mappings and the memberships it made go with it (cascade)."""
    async with audited(actor, "sso.delete", Target("sso_provider", provider_id)) as a:
        _admin(actor)
        old = await _row(provider_id)
        a.target = Target("sso_provider", provider_id, old["name"])
        if old["source"] == SOURCE_SETTINGS:
            raise Conflict("This provider comes from litestar.toml: remove it there.")
        await OidcProvider.delete().where(OidcProvider.id == provider_id).run()


def _input_of(setting: OidcProviderSetting) -> ProviderInput:
    secret = setting.client_secret
    if setting.client_secret_env:
        secret = os.environ.get(setting.client_secret_env, "")
        if not secret:
            raise InvalidInput(
                f"oidc_providers '{setting.name}': the environment variable "
                f"{setting.client_secret_env} is empty or unset.",
                "client_secret_env",
            )
    return ProviderInput(
        name=setting.name,
        issuer=setting.issuer,
        client_id=setting.client_id,
        client_secret=secret,
        display_name=setting.display_name,
        scopes=setting.scopes,
        groups_claim=setting.groups_claim,
    )


async def _same_as_stored(row: dict, data: ProviderInput) -> bool:
    """Unchanged since the last start: no update, no audit entry, no re-encryption."""
    values = _clean(data)
    if row["source"] != SOURCE_SETTINGS or any(row[k] != v for k, v in values.items()):
        return False
    stored = ""
    if row["client_secret_ciphertext"]:
        context = crypto.oidc_client_secret_context(row["id"])
        stored = runtime.box().decrypt(row["client_secret_ciphertext"], context)
    return stored == (data.client_secret or stored)


async def sync_from_settings(settings: list[OidcProviderSetting]) -> None:
    """At startup: the providers of litestar.toml become (or update) read-only rows; a row
    from the settings that is no longer listed is disabled, not deleted (its users stay
    linked should it come back)."""
    actor = Actor.system("settings")
    listed = set()
    for setting in settings:
        data = _input_of(setting)
        listed.add(data.name)
        row = await OidcProvider.select().where(OidcProvider.name == data.name).first().run()
        if row is None:
            await create_provider(actor, data, source=SOURCE_SETTINGS)
        else:
            if row["source"] != SOURCE_SETTINGS:
                await (
                    OidcProvider.update({OidcProvider.source: SOURCE_SETTINGS})
                    .where(OidcProvider.id == row["id"])
                    .run()
                )
            if not await _same_as_stored(row, data):
                await update_provider(actor, row["id"], data, from_settings=True)
    stale = OidcProvider.source == SOURCE_SETTINGS
    if listed:
        stale = stale & OidcProvider.name.not_in(list(listed))
    await OidcProvider.update({OidcProvider.enabled: False}).where(stale).run()
