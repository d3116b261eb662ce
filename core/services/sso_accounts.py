"""Which Shoal account a provider's identity is: linked by (provider, sub) only, never by
e-mail (an address can be re-assigned, or unverified, at a provider). A first sign-in
creates the account just in time; a signed-in user may link their own account instead."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import asyncpg

from core.actor import Actor
from core.errors import Conflict
from core.oidc.client import SignInRefused
from core.services import accounts
from core.services.audit import Target, audited
from core.services.sso_providers import ProviderView
from core.tables import OidcIdentity, User

_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")


def _claim_text(claims: dict, name: str, max_length: int) -> str:
    """A claim as plain text: control characters dropped, cut to the column's size. HTML in
    it stays text: templates escape it where it is shown."""
    value = claims.get(name)
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ord(ch) >= 32).strip()[:max_length]


def username_candidate(claims: dict) -> str:
    """A readable username from the claims (preferred_username, e-mail's local part, sub)."""
    for raw in (
        _claim_text(claims, "preferred_username", 128),
        _claim_text(claims, "email", 254).split("@", 1)[0],
        _claim_text(claims, "sub", 255),
    ):
        name = _NOT_USERNAME.sub("-", raw.lower()).strip("-._")[:56]
        if name:
            return name
    return "user"


async def _free_username(claims: dict) -> str:
    base = username_candidate(claims)
    if not await User.exists().where(User.username == base).run():
        return base
    suffix = hashlib.sha256(str(claims.get("sub", "")).encode()).hexdigest()[:6]
    return f"{base}-{suffix}"


async def _create(provider: ProviderView, claims: dict) -> int:
    actor = Actor.system(f"sign-in via {provider.name}")
    username = await _free_username(claims)
    async with audited(actor, "user.create", Target("user", name=username)) as audit:
        async with User._meta.db.transaction():
            row = User(
                username=username,
                display_name=_claim_text(claims, "name", 128),
                email=_claim_text(claims, "email", 254),
                password_hash="",  # no local password: this account signs in at its provider
            )
            user_id = (await User.insert(row).returning(User.id).run())[0]["id"]
            link = OidcIdentity(provider=provider.id, sub=claims["sub"], user=user_id)
            await OidcIdentity.insert(link).run()
        audit.target = Target("user", user_id, username)
        audit.detail = f"just in time, from {provider.name}"
    return user_id


async def _link(provider: ProviderView, sub: str, user_id: int) -> None:
    actor_row = await accounts.get_user(user_id)
    actor = Actor(actor_row.id, actor_row.username, actor_row.is_admin)
    async with audited(actor, "user.link_sso", Target("user", user_id, actor_row.username)) as a:
        a.detail = provider.name
        try:
            await OidcIdentity.insert(
                OidcIdentity(provider=provider.id, sub=sub, user=user_id)
            ).run()
        except asyncpg.UniqueViolationError as exc:
            raise _taken(provider) from exc


def _taken(provider: ProviderView) -> Conflict:
    return Conflict(
        f"This {provider.display_name} account is already linked to another Shoal user."
    )


async def account_for(
    provider: ProviderView, claims: dict, *, link_user_id: int | None = None
) -> accounts.UserView:
    """The user this identity signs in as (created or linked as needed)."""
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise SignInRefused("The provider sent an unusable subject ('sub').")
    identity = await _identity(provider.id, sub)
    if link_user_id is not None:
        if identity is not None and identity["user"] != link_user_id:
            raise _taken(provider)
        if identity is None:
            await _link(provider, sub, link_user_id)
        user_id = link_user_id
    elif identity is not None:
        user_id = identity["user"]
    else:
        user_id = await _create_once(provider, claims)
    user = await accounts.get_user(user_id)
    if not user.is_active:
        raise SignInRefused("This account is disabled: ask an admin.")
    await User.update({User.last_login_at: datetime.now(UTC)}).where(User.id == user_id).run()
    return user


async def _identity(provider_id: int, sub: str) -> dict | None:
    return (
        await OidcIdentity.select(OidcIdentity.user)
        .where((OidcIdentity.provider == provider_id) & (OidcIdentity.sub == sub))
        .first()
        .run()
    )


async def _create_once(provider: ProviderView, claims: dict) -> int:
    """A first sign-in racing another (two tabs, a double click): one account is made, and
    the loser uses it; a username taken meanwhile by someone else gets the suffix instead."""
    for _ in range(3):
        try:
            return await _create(provider, claims)
        except asyncpg.UniqueViolationError:
            found = await _identity(provider.id, claims["sub"])
            if found is not None:
                return found["user"]
    raise Conflict("The account could not be created: try signing in again.")


async def identities_of(user_id: int) -> list[str]:
    """The provider names this user is linked with."""
    rows = (
        await OidcIdentity.select(OidcIdentity.provider.name.as_alias("name"))
        .where(OidcIdentity.user == user_id)
        .run()
    )
    return sorted(r["name"] for r in rows)
