"""Single sign-on: "Sign in with <provider>", the provider's callback, linking an account,
and the page after signing out that offers the provider's own sign-out.

A provider that is down or a callback that must not be believed gets a page saying so (with
a link back to the sign-in page, where the password form keeps working), never a 500.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import ShoalError
from core.oidc import client
from core.runtime import Runtime
from core.services import sso_login, sso_providers
from web.auth import principal_of
from web.guards import requires_login
from web.pages.auth import safe_next, signed_in_redirect
from web.rendering import page, redirect

STATE_COOKIE = "shoal_oidc_state"
COOKIE_PATH = "/auth/oidc"


def _public_url(request: Request) -> str:
    return request.app.state.settings.effective_public_url


def _failed(request: Request, exc: ShoalError, provider: str) -> Template:
    return page(
        request,
        "auth/sso_error.html",
        status_code=exc.status_code,
        message=exc.detail,
        provider=provider,
    )


def _to_provider(request: Request, url: str, state: str, status_code: int) -> Redirect:
    """Off to the provider, with the state also kept in this browser (see `callback`)."""
    cookie = Cookie(
        key=STATE_COOKIE,
        value=state,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=request.url.scheme == "https",
        path=COOKIE_PATH,
        max_age=int(sso_login.LIFETIME.total_seconds()),
    )
    return Redirect(url, status_code=status_code, cookies=[cookie])


@get("/{name:str}/start")
async def start(request: Request, name: str, next: str | None = None) -> Redirect | Template:
    try:
        url, state = await sso_login.begin(
            name, public_url=_public_url(request), next_url=safe_next(next)
        )
    except ShoalError as exc:
        return _failed(request, exc, name)
    return _to_provider(request, url, state, 302)


@post("/{name:str}/link", guards=[requires_login])
async def link(request: Request, actor: Actor, name: str) -> Redirect | Template:
    try:
        url, state = await sso_login.begin(
            name, public_url=_public_url(request), next_url="/account", link_user_id=actor.id
        )
    except ShoalError as exc:
        return _failed(request, exc, name)
    return _to_provider(request, url, state, 303)


@get("/{name:str}/callback")
async def callback(request: Request, runtime: Runtime, name: str) -> Redirect | Template:
    query = request.query_params  # `state` is a name Litestar reserves for its own use
    try:
        signed, next_url = await sso_login.finish(
            name,
            public_url=_public_url(request),
            state=str(query.get("state", ""))[:256],
            bound_state=request.cookies.get(STATE_COOKIE, ""),
            code=str(query.get("code", ""))[:4096],
            error=str(query.get("error", "")),
        )
    except ShoalError as exc:
        return _failed(request, exc, name)
    if signed.linked:
        done = redirect("/account", f"Your account is now linked with {name}.")
    else:
        done = await signed_in_redirect(
            request, runtime, signed.user.id, safe_next(next_url), signed.provider
        )
    done.cookies.append(Cookie(key=STATE_COOKIE, value="", max_age=0, path=COOKIE_PATH))
    return done


@get("/{name:str}/signed-out")
async def signed_out(request: Request, name: str) -> Template | Redirect:
    if principal_of(request).actor is not None:
        return Redirect("/", status_code=303)
    logout_url = ""
    try:
        provider = await sso_providers.provider_by_name(name)
        config = await sso_providers.client_config(provider.id)
        meta = await client.discover(config.issuer)
        endpoint = meta.get("end_session_endpoint")
        if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
            query = {
                "client_id": config.client_id,
                "post_logout_redirect_uri": _public_url(request) + "/login",
            }
            logout_url = endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)
    except ShoalError:
        provider = None  # unknown or unreachable: the page still says Shoal signed you out
    return page(request, "auth/signed_out.html", provider=provider, logout_url=logout_url)


router = Router(
    path="/auth/oidc",
    route_handlers=[start, link, callback, signed_out],
    include_in_schema=False,
)
