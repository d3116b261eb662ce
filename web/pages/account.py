"""The signed-in user's own account: password and personal API tokens (shown once)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import ShoalError
from core.services import accounts, api_tokens, sso_accounts, sso_providers
from web.auth import SESSION_COOKIE
from web.guards import requires_login
from web.params import IdParam
from web.rendering import form_data, page, redirect, refused


async def _page(request: Request, actor: Actor, **extra: Any) -> Template:
    return page(
        request,
        "account/index.html",
        user=await accounts.get_user(actor.id or 0),
        tokens=await api_tokens.list_tokens(actor.id or 0),
        providers=await sso_providers.list_providers(enabled_only=True),
        linked=await sso_accounts.identities_of(actor.id or 0),
        **extra,
    )


@get("/")
async def index(request: Request, actor: Actor) -> Template:
    return await _page(request, actor)


@post("/tokens")
async def create_token(request: Request, actor: Actor) -> Template:
    data = await form_data(request)
    try:
        created = await api_tokens.create_token(actor, data.get("name", ""))
    except ShoalError as exc:
        return await _page(request, actor, **refused(exc, data))
    return await _page(request, actor, new_token=created.token, new_token_name=created.info.name)


@post("/tokens/{token_id:int}/revoke")
async def revoke_token(actor: Actor, token_id: IdParam) -> Redirect:
    await api_tokens.revoke_token(actor, token_id)
    return redirect("/account", "Token revoked; it stops working at once.")


@post("/password")
async def change_password(request: Request, actor: Actor) -> Template | Redirect:
    data = await form_data(request)
    try:
        await accounts.change_own_password(
            actor,
            data.get("current_password", ""),
            data.get("new_password", ""),
            keep_session=request.cookies.get(SESSION_COOKIE),
        )
    except ShoalError as exc:
        return await _page(request, actor, **refused(exc))
    return redirect("/account", "Password changed; your other sessions are signed out.")


router = Router(
    path="/account",
    route_handlers=[index, create_token, revoke_token, change_password],
    guards=[requires_login],
    include_in_schema=False,
)
