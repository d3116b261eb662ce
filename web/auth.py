"""Who is calling: a session cookie (browser) or `Authorization: Bearer` (API), and CSRF.

The middleware only *identifies*; guards decide. CSRF protection applies to every unsafe
request authenticated by cookie (forms and HTMX alike): the token must come back in the
`X-CSRF-Token` header (HTMX, sent from <body hx-headers>) or a `csrf_token` form field.
Anonymous forms (login) use a double-submit cookie instead, so login CSRF is covered too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.actor import Actor
from core.services import api_tokens, sessions
from core.tokens import same

SESSION_COOKIE = "shoal_session"
ANON_CSRF_COOKIE = "shoal_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HOOK_OPT = "machine_hook"  # a route called by a machine that authenticates itself


@dataclass
class Principal:
    actor: Actor | None = None
    via: str = ""  # "session" | "token" | ""
    csrf_token: str = ""
    display_name: str = ""
    new_anon_csrf: bool = False

    @property
    def is_admin(self) -> bool:
        return bool(self.actor and self.actor.is_admin)


def _cookie(scope: Scope, name: str) -> str:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class AuthMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    # The ingress check (forward_auth) takes no Shoal session: it reads its own cookie.
    exclude_path_pattern = ("^/static/", "^/health/", "^/metrics$", "^/ingress-auth/check$")
    # Webhooks and registry notifications prove themselves (a signature or a shared token)
    # and never carry a user's API token: their handlers set opt={HOOK_OPT: True}.
    exclude_opt_key = HOOK_OPT

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        principal = await identify(scope)
        if principal.actor is None:
            principal.csrf_token = _cookie(scope, ANON_CSRF_COOKIE)
            if not principal.csrf_token:
                principal.csrf_token = secrets.token_urlsafe(24)
                principal.new_anon_csrf = True
        scope.setdefault("state", {})["principal"] = principal
        await next_app(scope, receive, send)


async def identify(scope: Scope) -> Principal:
    """The API token's or session's user; an anonymous Principal when there is neither."""
    bearer = bearer_token(scope)
    if bearer is not None:
        actor = await api_tokens.resolve_token(bearer)
        if actor is None:
            raise NotAuthorizedException("Invalid or revoked API token.")
        return Principal(actor=actor, via="token", display_name=actor.username)
    if token := _cookie(scope, SESSION_COOKIE):
        found = await sessions.resolve_session(token, scope["app"].state.runtime.session_lifetime)
        if found:
            return Principal(
                actor=Actor(found.user_id, found.username, found.is_admin),
                via="session",
                csrf_token=found.csrf_token,
                display_name=found.display_name or found.username,
            )
    return Principal()


def bearer_token(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    return value[7:].strip() if value.lower().startswith("bearer ") else None


def principal_of(connection: ASGIConnection) -> Principal:
    return connection.scope.get("state", {}).get("principal") or Principal()


async def csrf_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Refuse unsafe cookie-authenticated (or anonymous form) requests without the token."""
    if connection.scope.get("method", "GET") in SAFE_METHODS or handler.opt.get(HOOK_OPT):
        return
    principal = principal_of(connection)
    if principal.via == "token":
        return
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent and hasattr(connection, "form"):
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await connection.form()  # type: ignore[attr-defined]
            sent = str(form.get(CSRF_FIELD, ""))
    if principal.new_anon_csrf or not sent or not same(sent, principal.csrf_token):
        raise PermissionDeniedException(
            "The form's security token is missing or stale. Reload the page and try again."
        )


def current_actor(connection: ASGIConnection) -> Actor:
    actor = principal_of(connection).actor
    if actor is None:
        raise NotAuthorizedException("Sign in first.")
    return actor
