"""Sign in and sign out. One generic message for any wrong username/password/disabled user."""

from __future__ import annotations

from urllib.parse import urlparse

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from core.errors import InvalidInput, Throttled
from core.runtime import Runtime
from core.services import accounts, sessions, sso_providers
from web.auth import SESSION_COOKIE, principal_of
from web.rendering import form_data, page


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parsed = urlparse(target)
    return "/" if parsed.netloc or parsed.scheme else target


def client_address(request: Request) -> str:
    # Already the proxy-vouched client when the peer is a trusted proxy (web/client_ip.py).
    return request.client.host if request.client else "unknown"


@get("/login", include_in_schema=False)
async def login_form(request: Request, next: str | None = None) -> Template | Redirect:
    if principal_of(request).actor is not None:
        return Redirect(safe_next(next))
    return page(
        request,
        "auth/login.html",
        next=safe_next(next),
        providers=await sso_providers.list_providers(enabled_only=True),
    )


@post("/login", include_in_schema=False)
async def login(request: Request, runtime: Runtime) -> Response:
    data = await form_data(request)
    username, target = data.get("username", ""), safe_next(data.get("next"))
    try:
        user = await accounts.authenticate(
            username,
            data.get("password", ""),
            client_address(request),
            runtime.login_limits,
            runtime.password_login,
        )
    except (InvalidInput, Throttled) as exc:
        status = exc.status_code if isinstance(exc, Throttled) else 400
        response = page(
            request,
            "auth/login.html",
            status_code=status,
            errors={"": exc.detail},
            form={"username": username[:64]},
            next=target,
            providers=await sso_providers.list_providers(enabled_only=True),
        )
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return await signed_in_redirect(request, runtime, user.id, target)


async def signed_in_redirect(
    request: Request, runtime: Runtime, user_id: int, target: str, provider: str = ""
) -> Redirect:
    """A new session for the user, its cookie, and the way on."""
    lifetime = runtime.session_lifetime
    token, _ = await sessions.create_session(
        user_id, client_address(request), provider, lifetime=lifetime
    )
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
        max_age=int(lifetime.total_seconds()),
    )
    return Redirect(target, status_code=303, cookies=[cookie])


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    provider = ""
    if token:
        provider = await sessions.provider_of(token)
        await sessions.end_session(token)
    # Signed in at a provider: the signed-out page offers its own sign-out too.
    target = f"/auth/oidc/{provider}/signed-out" if provider else "/login"
    return Redirect(
        target,
        status_code=303,
        cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
    )


router = Router(path="/", route_handlers=[login_form, login, logout], include_in_schema=False)
