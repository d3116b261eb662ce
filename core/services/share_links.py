"""Share links: someone with full access opens a deployment's URLs to people without an
account, for a while (24 h by default, never past the deployment's own end), until revoked.

The token is shown once, at creation, and stored hashed. A link belongs to one deployment id:
deleted and re-created under the same name, the new deployment is not opened by old links.
Every use (and every refused use of a real link) is in the audit log, never the token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from core.actor import Actor
from core.domain.access import Level
from core.domain.url_access import share_expiry
from core.errors import InvalidInput, NotFound
from core.services import access, audit, url_access
from core.services.audit import Target, audited
from core.tables import Deployment
from core.tables.url_access import ShareLink
from core.tokens import hash_token, new_token

MAX_HOURS = 24 * 30
USE_ACTOR = Actor.system("share link")


class ShareLinkView(msgspec.Struct):
    id: int
    deployment_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int
    created_by: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > datetime.now(UTC)


async def _deployment(deployment_id: int) -> dict:
    row = (
        await Deployment.select(
            Deployment.id,
            Deployment.name,
            Deployment.project,
            Deployment.environment,
            Deployment.expires_at,
            Deployment.status,
        )
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such deployment.")
    return row


def _target(row: dict) -> Target:
    return Target(
        "deployment",
        row["id"],
        row["name"],
        project_id=row["project"],
        environment_id=row["environment"],
    )


async def create_link(
    actor: Actor, deployment_id: int, hours: int | None = None
) -> tuple[ShareLinkView, str]:
    """(the link, its token: shown this once)."""
    async with audited(
        actor, "deployment.share_link.create", Target("deployment", deployment_id)
    ) as a:
        row = await _deployment(deployment_id)
        a.target = _target(row)
        await access.require_deployment_level(actor, row["project"], row["environment"], Level.FULL)
        if hours is not None and not 1 <= hours <= MAX_HOURS:
            raise InvalidInput(f"A share link lasts 1 to {MAX_HOURS} hours.", "hours")
        if row["status"] in ("deleting", "deleted"):
            raise InvalidInput("This deployment is being deleted.")
        now = datetime.now(UTC)
        expires = share_expiry(now, timedelta(hours=hours) if hours else None, row["expires_at"])
        token = new_token("shs_")
        link_id = (
            await ShareLink.insert(
                ShareLink(
                    deployment=deployment_id,
                    token_hash=hash_token(token),
                    created_by=actor.id,
                    expires_at=expires,
                )
            )
            .returning(ShareLink.id)
            .run()
        )[0]["id"]
        a.detail = f"share link #{link_id}, until {expires:%Y-%m-%d %H:%M} UTC"
    return (await _views(deployment_id, link_id))[0], token


async def _views(deployment_id: int, link_id: int | None = None) -> list[ShareLinkView]:
    query = ShareLink.select(
        ShareLink.id,
        ShareLink.deployment.as_alias("deployment_id"),
        ShareLink.created_at,
        ShareLink.expires_at,
        ShareLink.revoked_at,
        ShareLink.uses,
        ShareLink.created_by.username.as_alias("created_by"),
    ).where(ShareLink.deployment == deployment_id)
    if link_id is not None:
        query = query.where(ShareLink.id == link_id)
    rows = await query.order_by(ShareLink.id, ascending=False).run()
    return [
        msgspec.convert({**r, "created_by": r["created_by"] or ""}, ShareLinkView, strict=False)
        for r in rows
    ]


async def list_links(actor: Actor, deployment_id: int) -> list[ShareLinkView]:
    row = await _deployment(deployment_id)
    await access.require_deployment_level(actor, row["project"], row["environment"], Level.FULL)
    return await _views(deployment_id)


async def revoke_link(actor: Actor, deployment_id: int, link_id: int) -> ShareLinkView:
    async with audited(
        actor, "deployment.share_link.revoke", Target("deployment", deployment_id)
    ) as a:
        row = await _deployment(deployment_id)
        a.target = _target(row)
        await access.require_deployment_level(actor, row["project"], row["environment"], Level.FULL)
        found = await _views(deployment_id, link_id)
        if not found:
            raise NotFound("No such share link.")
        a.detail = f"share link #{link_id}"
        if found[0].revoked_at is None:
            await (
                ShareLink.update({ShareLink.revoked_at: datetime.now(UTC)})
                .where(ShareLink.id == link_id)
                .run()
            )
    url_access.forget()
    return (await _views(deployment_id, link_id))[0]


async def use_link(deployment_id: int, token: str) -> str | None:
    """An ingress session cookie for a valid link of this deployment, else None."""
    if not token:
        return None
    link = await ShareLink.select().where(ShareLink.token_hash == hash_token(token)).first().run()
    if link is None:
        return None  # a forged token names nothing worth a line in the audit log
    row = await _deployment(link["deployment"])
    now = datetime.now(UTC)
    problem = ""
    if link["deployment"] != deployment_id:
        problem = "used on another deployment's address"
    elif link["revoked_at"] is not None:
        problem = "revoked"
    elif link["expires_at"] <= now:
        problem = "expired"
    elif row["status"] in ("deleting", "deleted"):
        problem = "deployment deleted"
    detail = f"share link #{link['id']}" + (f": {problem}" if problem else "")
    await audit.record(
        USE_ACTOR,
        "deployment.share_link.use",
        _target(row),
        outcome="refused" if problem else "ok",
        detail=detail,
    )
    if problem:
        return None
    await (
        ShareLink.update({ShareLink.uses: ShareLink.uses + 1})
        .where(ShareLink.id == link["id"])
        .run()
    )
    return await url_access.open_session(
        "share", deployment_id, share_link=link["id"], until=link["expires_at"]
    )
