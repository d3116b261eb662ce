"""Who may open a deployment's URLs (docs/ingress.md), pure rules: the policies, which one
applies, where a visitor may be sent back to, and how long things live.

The ingress (Caddy) asks the control plane about every request to a protected host; the
answer is one of `Decision`'s kinds. A session is always bound to one deployment id, so a
deployment deleted and re-created under the same name (same URLs, new id) opens nothing old.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import msgspec

POLICIES = ("public", "signed-in", "password")
PROTECTED = ("signed-in", "password")
COOKIE = "shoal_ingress"
"""The ingress session cookie: its own name, host-only, HttpOnly, SameSite=Lax; never Shoal's
own session cookie, which lives on Shoal's host only."""
BYPASS_HEADER = "X-Shoal-Bypass"
BYPASS_PARAM = "shoal_bypass"
HOST_PREFIX = "/.shoal/"
"""Paths on a protected deployment host that Caddy sends to the control plane."""
CODE_LIFETIME = timedelta(seconds=60)
SESSION_LIFETIME = timedelta(hours=12)
SHARE_DEFAULT = timedelta(hours=24)
DECISION_CACHE_S = 5.0
"""How long the control plane reuses a decision: a revoked grant or link stops within it."""


class Decision(msgspec.Struct, frozen=True):
    kind: str
    """allow | signin (redirect to Shoal's sign-in) | password (redirect to the host's password
    page) | forbidden (signed in, no grant) | gone (no such deployment)."""
    user_id: int | None = None


def effective_policy(project_policy: str | None, environment_policy: str | None) -> str:
    """The project's override, else the environment's; anything unknown counts as the
    strictest (never open a URL because of a bad value)."""
    chosen = project_policy or environment_policy or "public"
    return chosen if chosen in POLICIES else "signed-in"


def share_expiry(
    now: datetime, requested: timedelta | None, deployment_expires: datetime | None
) -> datetime:
    """Default 24 h, never past the deployment's own end."""
    expires = now + (requested or SHARE_DEFAULT)
    if deployment_expires is not None and deployment_expires < expires:
        expires = deployment_expires
    return expires


def return_target(url: str, hosts: set[str]) -> tuple[str, str, str] | None:
    """(scheme, host[:port], path?query) when `url` is an http(s) URL on one of `hosts`
    (a deployment's hosts); None otherwise, which is what stops an open redirect."""
    try:
        parts = urlsplit(url)
        hostname = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or hostname not in hosts:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    authority = hostname if port is None else f"{hostname}:{port}"
    return (
        parts.scheme,
        authority,
        local_path(parts.path + (f"?{parts.query}" if parts.query else "")),
    )


def local_path(path: str) -> str:
    """A path on the same host: "/" for anything that could leave it ("//evil", "\\\\evil",
    "https://…")."""
    if not path.startswith("/") or path.startswith(("//", "/\\")) or "\r" in path or "\n" in path:
        return "/"
    return path
