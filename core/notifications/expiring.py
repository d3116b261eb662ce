"""Expiry warnings, run by the sweeper before it deletes: each deployment that expires within
a channel's lead time gets one `expiring` event per expiry time and lead time (extending it
sets a new expiry, hence a new warning later). The message's extend link carries a token
sealed under the master key that names the deployment and that expiry: it works once signed in,
for a user with full access, and only until the deployment is extended or gone."""

from __future__ import annotations

import datetime
from datetime import UTC

from core import crypto, db, runtime
from core.actor import Actor
from core.domain import status
from core.errors import Conflict
from core.notifications import outbox
from core.services import deployment_actions, deployments
from core.tables import Deployment

TOKEN_CONTEXT = "notification.extend"


def extend_token(deployment_id: int, expires_at: datetime.datetime) -> str:
    return runtime.box().encrypt(f"{deployment_id}:{expires_at.timestamp():.0f}", TOKEN_CONTEXT)


def token_matches(token: str, deployment_id: int, expires_at: datetime.datetime | None) -> bool:
    if expires_at is None:
        return False
    try:
        named = runtime.box().decrypt(token, TOKEN_CONTEXT)
    except crypto.DecryptionError:
        return False
    return named == f"{deployment_id}:{expires_at.timestamp():.0f}"


async def warn(now: datetime.datetime | None = None) -> int:
    """Record the warnings due at `now`; returns how many are new."""
    now = now or datetime.datetime.now(UTC)
    leads = await db.fetch(
        "SELECT DISTINCT expiring_minutes FROM notification_channels"
        " WHERE enabled AND events ? 'expiring'"
    )
    base = runtime.settings().effective_public_url
    new = 0
    for (lead,) in leads:
        rows = await (
            Deployment.select(Deployment.id, Deployment.expires_at)
            .where(
                Deployment.status.is_in([s for s in status.ACTIVE if status.can_extend(s)])
                & (Deployment.expires_at > now)
                & (Deployment.expires_at <= now + datetime.timedelta(minutes=lead))
            )
            .run()
        )
        for row in rows:
            expires = row["expires_at"]
            token = extend_token(row["id"], expires)  # base64url and ":": path-safe
            data = {
                "lead": lead,
                "minutes_left": max(0, int((expires - now).total_seconds() // 60)),
                "extend_link": f"{base}/deployments/{row['id']}/extend-link/{token}",
            }
            key = f"expiring:{row['id']}:{expires.timestamp():.0f}:{lead}"
            new += await outbox.record("expiring", key, deployment_id=row["id"], data=data)
    return new


async def extend_by_link(
    actor: Actor, deployment_id: int, token: str
) -> deployments.DeploymentView:
    """The message's extend link, followed by a signed-in user: the deployment's own extend
    (full access, audited) if the link still names its current expiry."""
    view = await deployments.get_deployment(actor, deployment_id)
    if not token_matches(token, deployment_id, view.expires_at):
        raise Conflict("This extend link is out of date: the deployment was extended or is gone.")
    return await deployment_actions.extend(actor, deployment_id)
