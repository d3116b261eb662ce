"""`GET /ingress-auth/check`: Caddy's forward_auth for protected deployment hosts, asked on
every request (every stylesheet and image of a page).

A raw ASGI handler on purpose: Litestar's request, dependency and response machinery (and the
session, metrics and compression middleware, which skip this path) cost more than the cached
decision itself, and at a few hundred requests a second that cost is the added latency the
visitor sees. It answers 204 (let through), a redirect (sign in, the password page) or a small
HTML page (403, 404). It reads only headers Caddy sets or forwards: Host (with its port),
X-Forwarded-Uri/-Proto, X-Shoal-Deployment (Caddy sets it, a visitor cannot), the cookie and
the bypass token.
"""

from __future__ import annotations

import html
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from litestar import Router, asgi
from litestar.types import Receive, Scope, Send

from core.domain.url_access import BYPASS_HEADER, BYPASS_PARAM, COOKIE, HOST_PREFIX, local_path
from core.services import url_access

NO_ACCESS = (
    "You are signed in to Shoal, but none of your teams has access to this deployment. Ask an "
    "admin for a grant on its project or environment."
)
_BYPASS = BYPASS_HEADER.lower().encode()


def _headers(scope: Scope) -> dict[bytes, str]:
    return {name: value.decode("latin-1") for name, value in scope["headers"]}


def _cookie(header: str) -> str:
    if COOKIE not in header:
        return ""
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return ""
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else ""


def _deployment(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _page(title: str, text: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(text)}</p></body></html>\n"
    ).encode()


async def _send(
    send: Send, status: int, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    sent = [(b"cache-control", b"no-store"), *(headers or [])]
    if body:
        sent.append((b"content-type", b"text/html; charset=utf-8"))
    sent.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": body})


@asgi("/check", copy_scope=False)
async def check(scope: Scope, receive: Receive, send: Send) -> None:
    headers = _headers(scope)
    deployment_id = _deployment(headers.get(b"x-shoal-deployment", ""))
    if deployment_id is None:
        await _send(send, 404, _page("Not found", "No such deployment."))
        return
    forwarded_uri = headers.get(b"x-forwarded-uri", "/")
    bypass = headers.get(_BYPASS, "")
    if not bypass and BYPASS_PARAM in forwarded_uri:
        bypass = (parse_qs(urlsplit(forwarded_uri).query).get(BYPASS_PARAM) or [""])[0]
    decision = await url_access.decide(deployment_id, _cookie(headers.get(b"cookie", "")), bypass)
    if decision.kind == "allow":
        await _send(send, 204)
        return
    uri = local_path(forwarded_uri)
    if decision.kind == "password":
        location = f"{HOST_PREFIX}password?{urlencode({'to': uri})}"
        await _send(send, 302, headers=[(b"location", location.encode())])
    elif decision.kind == "signin":
        scheme = "https" if headers.get(b"x-forwarded-proto") == "https" else "http"
        # Caddy passes the visitor's Host on (with its port); X-Forwarded-Host drops the port.
        back = quote(f"{scheme}://{headers.get(b'host', '')}{uri}", safe="")
        public = scope["app"].state.settings.effective_public_url
        location = f"{public}/ingress-auth/signin?to={back}"
        await _send(send, 302, headers=[(b"location", location.encode())])
    elif decision.kind == "forbidden":
        await _send(send, 403, _page("No access", NO_ACCESS))
    else:
        await _send(send, 404, _page("Not found", "No such deployment."))


router = Router(path="/ingress-auth", route_handlers=[check], include_in_schema=False)
