"""Personal API tokens: shown once at creation, stored as SHA-256, revocable."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from core import validation
from core.actor import Actor
from core.errors import NotFound
from core.services.audit import Target, audited
from core.tables import ApiToken
from core.tokens import hash_token, new_token

TOKEN_PREFIX = "shoal_"


class TokenView(msgspec.Struct):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewToken(msgspec.Struct):
    token: str
    info: TokenView


async def create_token(actor: Actor, name: str) -> NewToken:
    async with audited(actor, "api_token.create", Target("user", actor.id, actor.username)) as a:
        label = validation.text(name, "name", max_length=64)
        token = new_token(TOKEN_PREFIX)
        row = (
            await ApiToken.insert(
                ApiToken(
                    user=actor.id,
                    name=label,
                    token_hash=hash_token(token),
                    prefix=token[: len(TOKEN_PREFIX) + 4],
                )
            )
            .returning(*ApiToken.all_columns())
            .run()
        )[0]
        a.detail = f"token '{label}'"
    return NewToken(token=token, info=msgspec.convert(row, TokenView, strict=False))


async def list_tokens(user_id: int) -> list[TokenView]:
    rows = await ApiToken.select().where(ApiToken.user == user_id).order_by(ApiToken.id).run()
    return [msgspec.convert(r, TokenView, strict=False) for r in rows]


async def revoke_token(actor: Actor, token_id: int) -> None:
    async with audited(actor, "api_token.revoke", Target("user", actor.id, actor.username)) as a:
        row = await ApiToken.select().where(ApiToken.id == token_id).first().run()
        if row is None or (row["user"] != actor.id and not actor.is_admin):
            raise NotFound("No such token.")
        a.target = Target("user", row["user"], row["name"])
        await (
            ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)})
            .where(ApiToken.id == token_id)
            .run()
        )


async def resolve_token(token: str) -> Actor | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.revoked_at,
            ApiToken.last_used_at,
            ApiToken.user.id.as_alias("user_id"),
            ApiToken.user.username.as_alias("username"),
            ApiToken.user.is_admin.as_alias("is_admin"),
            ApiToken.user.is_active.as_alias("is_active"),
        )
        .where(ApiToken.token_hash == hash_token(token))
        .first()
        .run()
    )
    if row is None or row["revoked_at"] is not None or not row["is_active"]:
        return None
    now = datetime.now(UTC)
    if row["last_used_at"] is None or (now - row["last_used_at"]).total_seconds() > 60:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"]).run()
    return Actor(id=row["user_id"], username=row["username"], is_admin=row["is_admin"])
