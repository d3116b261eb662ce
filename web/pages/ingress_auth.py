"""Who may open a protected deployment's URLs: the endpoints Caddy and visitors reach.

- `GET /ingress-auth/check`: Caddy's forward_auth (web/pages/ingress_check.py).
- `GET /ingress-auth/signin?to=<deployment URL>`: on Shoal's own host, after Shoal's sign-in:
  checks the user may see that deployment and sends them back to its host with a one-time code.
- `/ingress-auth/host/...`: reached as `/.shoal/...` on a deployment's host (Caddy rewrites
  the path and sets `X-Shoal-Deployment`): `auth` exchanges the code for the ingress cookie,
  `share` opens a share link, `password` is the password page. The cookie they set is the
  ingress's own (host-only, HttpOnly, SameSite=Lax), never Shoal's session cookie.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.access import Level
from core.domain.url_access import (
    COOKIE,
    HOST_PREFIX,
    SESSION_LIFETIME,
    local_path,
    return_target,
)
from core.ingress.source import load_route_table
from core.services import access, share_links, url_access, url_keys
from core.tables import Deployment
from web.auth import principal_of
from web.rendering import form_data, page


def _deployment_header(request: Request) -> int | None:
    value = request.headers.get("x-shoal-deployment", "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _html(request: Request, template: str, status: int, **context: object) -> Template:
    return page(request, f"ingress_auth/{template}", status_code=status, **context)


@get("/signin")
async def signin(request: Request, to: str = "") -> Redirect | Template:
    actor = principal_of(request).actor
    if actor is None:
        here = f"/ingress-auth/signin?{urlencode({'to': to})}"
        return Redirect(f"/login?{urlencode({'next': here})}", status_code=303)
    table = await load_route_table()
    by_host = {route.host: route for route in table.routes}
    target = return_target(to, set(by_host))
    if target is None:
        return _html(
            request,
            "message.html",
            400,
            title="Not a deployment address",
            text="Shoal signs you in only to the address of one of its deployments.",
        )
    scheme, authority, path = target
    route = by_host[authority.split(":")[0]]
    if not await _may_see(actor, route.deployment_id):
        return _html(
            request,
            "message.html",
            403,
            title="No access",
            text=f"None of your teams has access to deployment {route.deployment_name}.",
        )
    code = await url_access.create_code(route.deployment_id, actor.id or 0)
    query = urlencode({"code": code, "to": path})
    # A page that moves on by itself, not a redirect: this answer often ends the sign-in
    # form's redirect chain, and Shoal's CSP (form-action 'self') stops a form's redirects
    # at another origin.
    return _html(
        request,
        "continue.html",
        200,
        url=f"{scheme}://{authority}{HOST_PREFIX}auth?{query}",
        name=route.deployment_name,
    )


async def _may_see(actor: Actor, deployment_id: int) -> bool:
    row = (
        await Deployment.select(Deployment.project, Deployment.environment)
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    if row is None:
        return False
    acl = await access.access_for(actor)
    return acl.deployment_level(row["project"], row["environment"]) >= Level.READ


def _with_cookie(request: Request, token: str, to: str, until_s: int) -> Redirect:
    secure = request.headers.get("x-forwarded-proto", request.url.scheme) == "https"
    cookie = Cookie(
        key=COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
        max_age=until_s,
    )
    return Redirect(local_path(to), status_code=303, cookies=[cookie])


def _refused(request: Request, title: str, text: str, status: int = 403) -> Template:
    return _html(request, "message.html", status, title=title, text=text)


@get("/host/auth")
async def host_auth(request: Request, code: str = "", to: str = "/") -> Redirect | Template:
    deployment_id = _deployment_header(request)
    token = await url_access.exchange_code(deployment_id, code) if deployment_id else None
    if token is None:
        return _refused(
            request,
            "Sign-in expired",
            "This sign-in link was used or has expired. Reload the "
            "deployment's address to sign in again.",
        )
    return _with_cookie(request, token, to, int(SESSION_LIFETIME.total_seconds()))


@get("/host/share")
async def host_share(request: Request, t: str = "") -> Redirect | Template:
    deployment_id = _deployment_header(request)
    token = await share_links.use_link(deployment_id, t) if deployment_id else None
    if token is None:
        return _refused(
            request,
            "Link not valid",
            "This share link is not valid: it expired, was revoked, or belongs to another "
            "deployment. Ask the person who sent it for a new one.",
        )
    return _with_cookie(request, token, "/", int(SESSION_LIFETIME.total_seconds()))


@get("/host/password")
async def password_form(request: Request, to: str = "/") -> Template:
    return _html(request, "password.html", 200, to=local_path(to))


@post("/host/password")
async def password_submit(request: Request) -> Redirect | Template:
    data = await form_data(request)
    to = local_path(data.get("to", "/"))
    deployment_id = _deployment_header(request)
    if deployment_id is None or not await url_keys.password_matches(
        deployment_id, data.get("password", "")
    ):
        return _html(request, "password.html", 403, to=to, errors={"password": "Wrong password."})
    token = await url_access.open_session("password", deployment_id)
    return _with_cookie(request, token, to, int(SESSION_LIFETIME.total_seconds()))


router = Router(
    path="/ingress-auth",
    route_handlers=[signin, host_auth, host_share, password_form, password_submit],
    include_in_schema=False,
)
