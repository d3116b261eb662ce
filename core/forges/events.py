"""Forge webhooks as one internal event: verify the signature, then turn a pull (merge) request
payload into `ForgeEvent(kind=opened|updated|closed)` or None for anything to ignore.

Signatures (each compared in constant time):
- GitHub  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body under the secret>`
- Gitea   `X-Gitea-Signature: <hex HMAC-SHA256>` (Forgejo also sends `X-Forgejo-Signature`)
- GitLab  `X-Gitlab-Token: <the secret itself>`
Delivery ids: `X-GitHub-Delivery`, `X-Gitea-Delivery` / `X-Forgejo-Delivery`,
`X-Gitlab-Event-UUID` (or `Idempotency-Key`); without one, a hash of the body stands in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import msgspec

from core.domain.previews import PreviewRef

OPENED, UPDATED, CLOSED = "opened", "updated", "closed"


class ForgeEvent(msgspec.Struct, kw_only=True):
    kind: str  # opened | updated | closed
    repository: str  # the base (target) repository: what rules follow
    ref: PreviewRef


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(forge: str, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    if not secret:
        return False
    if forge == "github":
        sent = headers.get("x-hub-signature-256", "")
        return hmac.compare_digest(sent.encode(), f"sha256={_hmac_hex(secret, body)}".encode())
    if forge == "gitea":
        sent = headers.get("x-gitea-signature") or headers.get("x-forgejo-signature") or ""
        return hmac.compare_digest(sent.encode(), _hmac_hex(secret, body).encode())
    if forge == "gitlab":
        return hmac.compare_digest(headers.get("x-gitlab-token", "").encode(), secret.encode())
    return False


def event_name(forge: str, headers: Mapping[str, str]) -> str:
    if forge == "github":
        return headers.get("x-github-event", "")
    if forge == "gitea":
        return headers.get("x-gitea-event") or headers.get("x-forgejo-event") or ""
    return headers.get("x-gitlab-event", "")


def delivery_id(forge: str, headers: Mapping[str, str], body: bytes) -> str:
    names = {
        "github": ("x-github-delivery",),
        "gitea": ("x-gitea-delivery", "x-forgejo-delivery"),
        "gitlab": ("x-gitlab-event-uuid", "idempotency-key"),
    }[forge]
    for name in names:
        if headers.get(name):
            return headers[name][:128]
    return "sha256:" + hashlib.sha256(body).hexdigest()


def repository_of(forge: str, payload: Mapping[str, Any]) -> str:
    """Which repository a payload is about (to find its rule, before any signature check)."""
    if forge == "gitlab":
        return str((payload.get("project") or {}).get("path_with_namespace") or "")
    return str((payload.get("repository") or {}).get("full_name") or "")


def _github_like(payload: Mapping[str, Any], synchronize: str) -> ForgeEvent | None:
    """GitHub and Gitea share the shape; Gitea says `synchronized` where GitHub says
    `synchronize`."""
    action = payload.get("action")
    pull = payload.get("pull_request") or {}
    kind = {"opened": OPENED, "reopened": OPENED, synchronize: UPDATED, "closed": CLOSED}.get(
        action or ""
    )
    if kind is None or not pull:
        return None
    head, base = pull.get("head") or {}, pull.get("base") or {}
    head_repo = (head.get("repo") or {}).get("full_name") or ""
    base_repo = (base.get("repo") or {}).get("full_name") or ""
    return ForgeEvent(
        kind=kind,
        repository=repository_of("github", payload) or base_repo,
        ref=PreviewRef(
            number=int(pull.get("number") or payload.get("number") or 0),
            branch=str(head.get("ref") or ""),
            head_sha=str(head.get("sha") or ""),
            author=str((pull.get("user") or {}).get("login") or ""),
            title=str(pull.get("title") or ""),
            url=str(pull.get("html_url") or ""),
            source_repository=head_repo,
            # A deleted fork has no head repository: treat it as a fork (the safe side).
            is_fork=head_repo.lower() != base_repo.lower() or not head_repo,
        ),
    )


def _gitlab(payload: Mapping[str, Any]) -> ForgeEvent | None:
    if payload.get("object_kind") != "merge_request":
        return None
    attrs = payload.get("object_attributes") or {}
    action = attrs.get("action") or ""
    if action == "update" and not attrs.get("oldrev"):
        return None  # a title or label change: no new commits, nothing to deploy
    kind = {"open": OPENED, "reopen": OPENED, "update": UPDATED, "close": CLOSED}.get(action)
    kind = CLOSED if action == "merge" else kind
    if kind is None:
        return None
    source = (attrs.get("source") or {}).get("path_with_namespace") or ""
    return ForgeEvent(
        kind=kind,
        repository=repository_of("gitlab", payload),
        ref=PreviewRef(
            number=int(attrs.get("iid") or 0),
            branch=str(attrs.get("source_branch") or ""),
            head_sha=str((attrs.get("last_commit") or {}).get("id") or ""),
            author=str((payload.get("user") or {}).get("username") or ""),
            title=str(attrs.get("title") or ""),
            url=str(attrs.get("url") or ""),
            source_repository=source,
            is_fork=attrs.get("source_project_id") != attrs.get("target_project_id"),
        ),
    )


def parse(forge: str, event: str, payload: Any) -> ForgeEvent | None:
    """The internal event, or None: another event type, an action previews ignore (labels,
    reviews, assignments), or a payload without the fields a pull request has."""
    if not isinstance(payload, dict):
        return None
    try:
        if forge == "github":
            return _github_like(payload, "synchronize") if event == "pull_request" else None
        if forge == "gitea":
            return _github_like(payload, "synchronized") if event == "pull_request" else None
        if forge == "gitlab":
            return _gitlab(payload) if event == "Merge Request Hook" else None
    except (TypeError, ValueError, AttributeError):
        return None
    return None
