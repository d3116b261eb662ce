"""Browser sessions: an opaque cookie value, stored hashed, with its own CSRF token."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import msgspec

from core.tables import Session
from core.tokens import hash_token, new_token

# Every page and fragment resolves the cookie; a few seconds of memory saves a query each time.
# Sign-out and account changes in this process forget at once; other processes within CACHE_S.
CACHE_S = 5.0
_cache: dict[str, tuple[float, SessionUser]] = {}


class SessionUser(msgspec.Struct, frozen=True):
    user_id: int
    username: str
    display_name: str
    is_admin: bool
    csrf_token: str


async def create_session(
    user_id: int, address: str, provider: str = "", *, lifetime: timedelta
) -> tuple[str, str]:
    """Return (cookie value, csrf token). `provider`: the OpenID provider signed in at;
    `lifetime`: the runtime's session lifetime (core/runtime.py)."""
    token, csrf = new_token(), new_token()
    await Session.insert(
        Session(
            token_hash=hash_token(token),
            user=user_id,
            csrf_token=csrf,
            expires_at=datetime.now(UTC) + lifetime,
            address=address[:64],
            provider=provider,
        )
    ).run()
    return token, csrf


async def provider_of(token: str) -> str:
    """The OpenID provider the session began at ("" for a password sign-in)."""
    row = (
        await Session.select(Session.provider)
        .where(Session.token_hash == hash_token(token))
        .first()
        .run()
    )
    return row["provider"] if row else ""


async def resolve_session(token: str, lifetime: timedelta) -> SessionUser | None:
    """The live session's user, sliding its expiry forward by `lifetime`; None when unknown
    or expired."""
    key = hash_token(token)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    found = await _resolve(token, lifetime)
    if found is None:
        _cache.pop(key, None)
    else:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (time.monotonic(), found)
    return found


def forget_user(user_id: int, keep: str | None = None) -> None:
    kept = hash_token(keep) if keep else None
    for key, (_, user) in list(_cache.items()):
        if user.user_id == user_id and key != kept:
            _cache.pop(key, None)


async def end_user_sessions(user_id: int, keep: str | None = None) -> None:
    """Sign the user out everywhere, except for the session whose cookie is `keep`."""
    query = Session.delete().where(Session.user == user_id)
    if keep:
        query = query.where(Session.token_hash != hash_token(keep))
    await query.run()
    forget_user(user_id, keep)


async def _resolve(token: str, lifetime: timedelta) -> SessionUser | None:
    now = datetime.now(UTC)
    row = (
        await Session.select(
            Session.id,
            Session.csrf_token,
            Session.expires_at,
            Session.user.id.as_alias("user_id"),
            Session.user.username.as_alias("username"),
            Session.user.display_name.as_alias("display_name"),
            Session.user.is_admin.as_alias("is_admin"),
            Session.user.is_active.as_alias("is_active"),
        )
        .where(Session.token_hash == hash_token(token))
        .first()
        .run()
    )
    if row is None or row["expires_at"] < now or not row["is_active"]:
        return None
    # Slide the expiry at most once a minute: a write per request would be wasteful.
    if row["expires_at"] - now < lifetime - timedelta(minutes=1):
        await (
            Session.update({Session.expires_at: now + lifetime})
            .where(Session.id == row["id"])
            .run()
        )
    return SessionUser(
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        is_admin=row["is_admin"],
        csrf_token=row["csrf_token"],
    )


async def end_session(token: str) -> None:
    _cache.pop(hash_token(token), None)
    await Session.delete().where(Session.token_hash == hash_token(token)).run()


async def purge_expired() -> int:
    rows = (
        await Session.delete()
        .where(Session.expires_at < datetime.now(UTC))
        .returning(Session.id)
        .run()
    )
    return len(rows)
