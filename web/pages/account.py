"""The signed-in user's own account: password and personal API tokens (shown once)."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.services import accounts, api_tokens, sso_accounts, sso_providers
from web.auth import SESSION_COOKIE
from web.forms import drop_input, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import page, redirect


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
async def create_token(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: api_tokens.create_token(actor, data.get("name", "")),
        # The token exists only in this answer: shown on the page, never redirected.
        done=lambda made: _page(
            request, actor, new_token=made.token, new_token_name=made.info.name
        ),
        redraw=partial(_page, request, actor),
    )


@post("/tokens/{token_id:int}/revoke")
async def revoke_token(actor: Actor, token_id: IdParam) -> Redirect:
    await api_tokens.revoke_token(actor, token_id)
    return redirect("/account", "Token revoked; it stops working at once.")


@post("/password")
async def change_password(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: accounts.change_own_password(
            actor,
            data.get("current_password", ""),
            data.get("new_password", ""),
            keep_session=request.cookies.get(SESSION_COOKIE),
        ),
        done=lambda _: redirect(
            "/account", "Password changed; your other sessions are signed out."
        ),
        redraw=partial(_page, request, actor),
        kept=drop_input,  # passwords only, and the token form shares the page
    )


router = Router(
    path="/account",
    route_handlers=[index, create_token, revoke_token, change_password],
    guards=[requires_login],
    include_in_schema=False,
)
