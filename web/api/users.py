"""/api/v1/users (admin) and /api/v1/me (anyone signed in): accounts and personal API tokens."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Router, delete, get, patch, post

from core import passwords
from core.actor import Actor
from core.fields import MaxLen, MinLen, Text
from core.services import accounts, api_tokens
from core.services.accounts import UserView
from core.services.api_tokens import NewToken, TokenView
from web.guards import requires_admin_api, requires_login
from web.params import IdParam

# Passwords are only hashed, never stored as text, so any character may be in one.
Password = Annotated[str, MinLen(passwords.MIN_LENGTH), MaxLen(passwords.MAX_LENGTH)]


class UserCreate(msgspec.Struct, kw_only=True):
    username: Annotated[Text, MaxLen(64)]
    password: Password
    display_name: Annotated[Text, MaxLen(128)] = ""
    email: Annotated[Text, MaxLen(254)] = ""
    is_admin: bool = False


class UserPatch(msgspec.Struct, kw_only=True):
    display_name: Annotated[Text, MaxLen(128)] | None = None
    is_admin: bool | None = None
    is_active: bool | None = None


class PasswordReset(msgspec.Struct, kw_only=True):
    password: Password | None = None


class NewPassword(msgspec.Struct):
    password: str


class TokenCreate(msgspec.Struct):
    name: Annotated[Text, MaxLen(64)]


@get("/users")
async def list_users() -> list[UserView]:
    return await accounts.list_users()


@post("/users")
async def create_user(actor: Actor, data: UserCreate) -> UserView:
    return await accounts.create_user(actor, **msgspec.structs.asdict(data))


@get("/users/{user_id:int}")
async def get_user(user_id: IdParam) -> UserView:
    return await accounts.get_user(user_id)


@patch("/users/{user_id:int}")
async def update_user(actor: Actor, user_id: IdParam, data: UserPatch) -> UserView:
    return await accounts.update_user(actor, user_id, **msgspec.structs.asdict(data))


@post("/users/{user_id:int}/reset-password")
async def reset_password(actor: Actor, user_id: IdParam, data: PasswordReset) -> NewPassword:
    return NewPassword(await accounts.reset_password(actor, user_id, data.password))


admin_router = Router(
    path="/",
    route_handlers=[list_users, create_user, get_user, update_user, reset_password],
    guards=[requires_admin_api],
    tags=["users"],
)


@get("/me")
async def me(actor: Actor) -> UserView:
    return await accounts.get_user(actor.id or 0)


@get("/me/tokens")
async def list_tokens(actor: Actor) -> list[TokenView]:
    return await api_tokens.list_tokens(actor.id or 0)


@post("/me/tokens")
async def create_token(actor: Actor, data: TokenCreate) -> NewToken:
    return await api_tokens.create_token(actor, data.name)


@delete("/me/tokens/{token_id:int}")
async def revoke_token(actor: Actor, token_id: IdParam) -> None:
    await api_tokens.revoke_token(actor, token_id)


router = Router(
    path="/",
    route_handlers=[admin_router, me, list_tokens, create_token, revoke_token],
    guards=[requires_login],
    tags=["account"],
)
