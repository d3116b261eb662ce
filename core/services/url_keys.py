"""A deployment's URL password and bypass token: made on first view by someone with full
access, kept encrypted under the master key (they are shown again, so not hashed), rotatable.
Neither ever goes into the audit log, a log line or a page for read-only users."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import msgspec

from core.actor import Actor
from core.crypto import DecryptionError
from core.domain.access import Level
from core.errors import InvalidInput, NotFound
from core.runtime import box
from core.services import access, url_access
from core.services.audit import Target, audited
from core.tables import Deployment
from core.tables.url_access import UrlKeys
from core.tokens import new_token, same

KINDS = ("password", "bypass")


class UrlKeysView(msgspec.Struct):
    password: str
    bypass_token: str


def _new_password() -> str:
    # Typed by people from the page beside it: short, no look-alike characters.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


async def _deployment(deployment_id: int) -> dict:
    row = (
        await Deployment.select(
            Deployment.id, Deployment.name, Deployment.project, Deployment.environment
        )
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such deployment.")
    return row


async def _require_full(actor: Actor, deployment_id: int) -> dict:
    row = await _deployment(deployment_id)
    await access.require_deployment_level(actor, row["project"], row["environment"], Level.FULL)
    return row


async def _stored(deployment_id: int) -> dict | None:
    return await UrlKeys.select().where(UrlKeys.deployment == deployment_id).first().run()


async def _ensure(deployment_id: int) -> dict:
    row = await _stored(deployment_id)
    if row is not None:
        return row
    sealed = box()
    await (
        UrlKeys.insert(
            UrlKeys(
                deployment=deployment_id,
                password_ciphertext=sealed.encrypt(
                    _new_password(), url_access.password_context(deployment_id)
                ),
                bypass_ciphertext=sealed.encrypt(
                    new_token("shb_"), url_access.bypass_context(deployment_id)
                ),
            )
        )
        .on_conflict(action="DO NOTHING")
        .run()
    )
    return await _stored(deployment_id)  # type: ignore[return-value]


def _view(deployment_id: int, row: dict) -> UrlKeysView:
    sealed = box()
    return UrlKeysView(
        password=sealed.decrypt(
            row["password_ciphertext"], url_access.password_context(deployment_id)
        ),
        bypass_token=sealed.decrypt(
            row["bypass_ciphertext"], url_access.bypass_context(deployment_id)
        ),
    )


async def reveal(actor: Actor, deployment_id: int) -> UrlKeysView:
    """For users with full access only (NotFound/Forbidden otherwise)."""
    await _require_full(actor, deployment_id)
    return _view(deployment_id, await _ensure(deployment_id))


async def rotate(actor: Actor, deployment_id: int, kind: str) -> UrlKeysView:
    """A new password (password sessions end) or bypass token; the old one stops at once in
    this process and within the decision cache period in others."""
    target = Target("deployment", deployment_id)
    async with audited(actor, f"deployment.rotate_{kind}", target) as audit:
        if kind not in KINDS:
            raise InvalidInput("Rotate the password or the bypass token.", "kind")
        row = await _require_full(actor, deployment_id)
        audit.target = Target(
            "deployment",
            deployment_id,
            row["name"],
            project_id=row["project"],
            environment_id=row["environment"],
        )
        await _ensure(deployment_id)
        sealed = box()
        if kind == "password":
            values = {
                UrlKeys.password_ciphertext: sealed.encrypt(
                    _new_password(), url_access.password_context(deployment_id)
                )
            }
        else:
            values = {
                UrlKeys.bypass_ciphertext: sealed.encrypt(
                    new_token("shb_"), url_access.bypass_context(deployment_id)
                )
            }
        values[UrlKeys.updated_at] = datetime.now(UTC)
        await UrlKeys.update(values).where(UrlKeys.deployment == deployment_id).run()
    if kind == "password":
        await url_access.end_password_sessions(deployment_id)
    url_access.forget()
    return _view(deployment_id, await _ensure(deployment_id))


async def password_matches(deployment_id: int, attempt: str) -> bool:
    row = await _stored(deployment_id)
    if row is None or not attempt or not row["password_ciphertext"]:
        return False
    try:
        password = box().decrypt(
            row["password_ciphertext"], url_access.password_context(deployment_id)
        )
    except DecryptionError:
        return False
    return same(attempt.strip(), password)
