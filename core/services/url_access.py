"""Decides whether a request to a protected deployment host may pass (Caddy's forward_auth asks
on every request), and keeps the ingress sessions those decisions rest on.

A decision is cached for DECISION_CACHE_S per (deployment, cookie, bypass token): the ingress
asks for every asset, the database is asked once per session per period, and a removed grant,
a revoked share link or a rotated token stops working within that period (plus the request
in flight). `checks` counts the database checks (the bench reads it).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from core import db
from core.actor import Actor
from core.crypto import DecryptionError
from core.domain.access import Level
from core.domain.url_access import (
    CODE_LIFETIME,
    DECISION_CACHE_S,
    SESSION_LIFETIME,
    Decision,
    effective_policy,
)
from core.runtime import box
from core.services import access
from core.tables.url_access import IngressSession
from core.tokens import hash_token, new_token, same

_cache: dict[tuple[int, str, str], tuple[float, Decision]] = {}
# A page's assets arrive together: the first miss checks, the others wait for its answer.
_pending: dict[tuple[int, str, str], asyncio.Future[Decision]] = {}
checks = [0]
"""Database checks made (a one-item list so readers see the live count)."""

_DEPLOYMENT_SQL = """
SELECT d.status, d.project, d.environment, pr.url_access AS project_access,
       e.url_access AS environment_access, k.bypass_ciphertext
FROM deployments d
JOIN environments e ON e.id = d.environment
LEFT JOIN projects pr ON pr.id = d.project
LEFT JOIN deployment_url_keys k ON k.deployment = d.id
WHERE d.id = $1
"""

_SESSION_SQL = """
SELECT s.kind, s.user, s.expires_at, l.expires_at AS link_expires, l.revoked_at,
       u.is_admin, u.is_active, u.username
FROM ingress_sessions s
LEFT JOIN share_links l ON l.id = s.share_link
LEFT JOIN users u ON u.id = s.user
WHERE s.token_hash = $1 AND s.deployment = $2 AND s.kind <> 'code'
"""


def bypass_context(deployment_id: int) -> str:
    return f"deployment.bypass_token:{deployment_id}"


def password_context(deployment_id: int) -> str:
    return f"deployment.url_password:{deployment_id}"


def forget() -> None:
    """Drop every cached decision (this process): after a rotation or a revoke here."""
    _cache.clear()


async def decide(deployment_id: int, cookie: str = "", bypass: str = "") -> Decision:
    key = (
        deployment_id,
        hash_token(cookie) if cookie else "",
        hash_token(bypass) if bypass else "",
    )
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < DECISION_CACHE_S:
        return cached[1]
    pending = _pending.get(key)
    if pending is not None:
        return await asyncio.shield(pending)
    future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
    _pending[key] = future
    try:
        decision = await _decide(deployment_id, key[1], bypass)
    except asyncio.CancelledError:
        future.cancel()
        raise
    except Exception as exc:
        future.set_exception(exc)
        future.exception()  # retrieved here, so a miss nobody waited for is not reported
        raise
    finally:
        _pending.pop(key, None)
    future.set_result(decision)
    if len(_cache) > 50_000:
        _cache.clear()
    _cache[key] = (time.monotonic(), decision)
    return decision


async def _decide(deployment_id: int, cookie_hash: str, bypass: str) -> Decision:
    checks[0] += 1
    rows = await db.fetch(_DEPLOYMENT_SQL, deployment_id)
    if not rows or rows[0]["status"] in ("deleting", "deleted"):
        return Decision("gone")
    row = rows[0]
    policy = effective_policy(row["project_access"], row["environment_access"])
    if policy == "public":
        return Decision("allow")  # made public a moment ago; Caddy has not reloaded yet
    if bypass and row["bypass_ciphertext"]:
        try:
            token = box().decrypt(row["bypass_ciphertext"], bypass_context(deployment_id))
        except DecryptionError:
            token = ""
        if token and same(bypass, token):
            return Decision("allow")
    if cookie_hash:
        found = await _session_decision(deployment_id, cookie_hash, row, policy)
        if found is not None:
            return found
    return Decision("signin" if policy == "signed-in" else "password")


async def _session_decision(
    deployment_id: int, cookie_hash: str, deployment: object, policy: str
) -> Decision | None:
    rows = await db.fetch(_SESSION_SQL, cookie_hash, deployment_id)
    if not rows:
        return None
    session = rows[0]
    now = datetime.now(UTC)
    if session["expires_at"] < now:
        return None
    if session["kind"] == "share":
        if session["revoked_at"] is not None or session["link_expires"] < now:
            return None
        return Decision("allow")
    if session["kind"] == "password":
        return Decision("allow") if policy == "password" else None
    if session["user"] is None or not session["is_active"]:
        return None
    actor = Actor(session["user"], session["username"], bool(session["is_admin"]))
    acl = await access.access_for(actor)
    level = acl.deployment_level(deployment["project"], deployment["environment"])  # type: ignore[index]
    if level < Level.READ:
        return Decision("forbidden", user_id=actor.id)
    return Decision("allow", user_id=actor.id)


async def create_code(deployment_id: int, user_id: int) -> str:
    """A one-time code for the user's sign-in to be exchanged on the deployment's host."""
    code = new_token()
    await _insert(code, "code", deployment_id, datetime.now(UTC) + CODE_LIFETIME, user=user_id)
    return code


async def exchange_code(deployment_id: int, code: str) -> str | None:
    """The session cookie for a valid, unused code of this deployment; the code is used up."""
    rows = await db.fetch(
        "DELETE FROM ingress_sessions WHERE token_hash = $1 AND kind = 'code' "
        'AND deployment = $2 AND expires_at > now() RETURNING "user"',
        hash_token(code),
        deployment_id,
    )
    if not rows or rows[0]["user"] is None:
        return None
    return await open_session("user", deployment_id, user=rows[0]["user"])


async def open_session(
    kind: str,
    deployment_id: int,
    *,
    user: int | None = None,
    share_link: int | None = None,
    until: datetime | None = None,
) -> str:
    token = new_token()
    expires = datetime.now(UTC) + SESSION_LIFETIME
    if until is not None and until < expires:
        expires = until
    await _insert(token, kind, deployment_id, expires, user=user, share_link=share_link)
    return token


async def _insert(
    token: str,
    kind: str,
    deployment_id: int,
    expires: datetime,
    *,
    user: int | None = None,
    share_link: int | None = None,
) -> None:
    await IngressSession.insert(
        IngressSession(
            token_hash=hash_token(token),
            kind=kind,
            deployment=deployment_id,
            user=user,
            share_link=share_link,
            expires_at=expires,
        )
    ).run()


async def end_password_sessions(deployment_id: int) -> None:
    await (
        IngressSession.delete()
        .where((IngressSession.deployment == deployment_id) & (IngressSession.kind == "password"))
        .run()
    )
    forget()


async def purge_expired() -> int:
    rows = await db.fetch("DELETE FROM ingress_sessions WHERE expires_at < now() RETURNING id")
    return len(rows)
