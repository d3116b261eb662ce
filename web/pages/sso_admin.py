"""Single sign-on (admin): OpenID providers (those from litestar.toml shown read-only), and
each provider's group → team mappings. The client secret is write-only: never shown back."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.runtime import Runtime
from core.services import sso_groups, sso_providers, teams
from core.services.sso_providers import ProviderInput
from web.forms import keep_as, keep_except, remove, submit
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, page, redirect

ADMIN_NAV = ("Single sign-on", "/sso", 45)


def _input(data: dict[str, str]) -> ProviderInput:
    return ProviderInput(
        name=data.get("name", ""),
        issuer=data.get("issuer", ""),
        client_id=data.get("client_id", ""),
        client_secret=data.get("client_secret") or None,
        display_name=data.get("display_name", ""),
        scopes=data.get("scopes", "") or "openid profile email",
        groups_claim=data.get("groups_claim", ""),
        enabled=data.get("enabled") == "on",
    )


async def _index(request: Request, runtime: Runtime, **extra: Any) -> Template:
    extra.setdefault(
        "form", {"scopes": "openid profile email", "groups_claim": "groups", "enabled": "on"}
    )
    return page(
        request,
        "sso/index.html",
        providers=await sso_providers.list_providers(),
        passwords_on=runtime.password_login.enabled,
        break_glass=runtime.password_login.break_glass_admin,
        **extra,
    )


async def _detail(request: Request, provider_id: int, **extra: Any) -> Template:
    provider = await sso_providers.get_provider(provider_id)
    public_url = request.app.state.settings.effective_public_url
    fields = [f for f in ProviderInput.__struct_fields__ if hasattr(provider, f)]
    extra.setdefault("form", {f: getattr(provider, f) for f in fields})
    return page(
        request,
        "sso/detail.html",
        provider=provider,
        redirect_uri=f"{public_url}/auth/oidc/{provider.name}/callback",
        mappings=await sso_groups.list_mappings(provider_id),
        teams=await teams.list_teams(),
        **extra,
    )


@get("/")
async def index(request: Request, runtime: Runtime) -> Template:
    return await _index(request, runtime)


@post("/")
async def create(request: Request, actor: Actor, runtime: Runtime) -> Template | Redirect:
    return await submit(
        request,
        lambda data: sso_providers.create_provider(actor, _input(data)),
        done=lambda made: redirect(f"/sso/{made.id}", f"Sign-in provider '{made.name}' added."),
        redraw=partial(_index, request, runtime),
        kept=keep_except("client_secret"),
    )


@get("/{provider_id:int}")
async def detail(request: Request, provider_id: IdParam) -> Template:
    return await _detail(request, provider_id)


@post("/{provider_id:int}")
async def update(request: Request, actor: Actor, provider_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: sso_providers.update_provider(actor, provider_id, _input(data)),
        done=lambda _: redirect(f"/sso/{provider_id}", "Sign-in provider saved."),
        redraw=partial(_detail, request, provider_id),
        kept=keep_except("client_secret"),
    )


@post("/{provider_id:int}/delete")
async def delete(request: Request, actor: Actor, provider_id: IdParam) -> Template | Redirect:
    return await remove(
        sso_providers.delete_provider(actor, provider_id),
        to="/sso",
        message="Sign-in provider removed.",
        redraw=partial(_detail, request, provider_id),
    )


@post("/{provider_id:int}/mappings")
async def add_mapping(request: Request, actor: Actor, provider_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: sso_groups.add_mapping(
            actor,
            provider_id,
            data.get("group_name", ""),
            team_id=as_int(data.get("team_id")),
            grants_admin=data.get("grants_admin") == "on",
        ),
        done=lambda _: redirect(f"/sso/{provider_id}", "Group mapped."),
        redraw=partial(_detail, request, provider_id),
        kept=keep_as("mapping_form"),
    )


@post("/{provider_id:int}/mappings/{mapping_id:int}/remove")
async def remove_mapping(actor: Actor, provider_id: IdParam, mapping_id: IdParam) -> Redirect:
    await sso_groups.remove_mapping(actor, provider_id, mapping_id)
    return redirect(f"/sso/{provider_id}", "Mapping removed.")


router = Router(
    path="/sso",
    route_handlers=[index, create, detail, update, delete, add_mapping, remove_mapping],
    guards=[requires_admin],
    include_in_schema=False,
)
