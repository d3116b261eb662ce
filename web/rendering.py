"""Rendering helpers shared by the HTML controllers: page context, flash messages, forms."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from core.errors import ShoalError
from web.auth import ANON_CSRF_COOKIE, principal_of

FLASH_COOKIE = "shoal_flash"
# Filled by web.app from each page module's ADMIN_NAV = (label, href, order).
ADMIN_LINKS: list[dict[str, Any]] = []


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    principal = principal_of(request)
    context.setdefault("errors", {})
    context.setdefault("form", {})
    context.update(
        me=principal,
        csrf_token=principal.csrf_token,
        path=request.url.path,
        admin_links=ADMIN_LINKS,
    )
    cookies: list[Cookie] = []
    raw = request.cookies.get(FLASH_COOKIE)
    if raw and not request.headers.get("hx-request"):
        # A notice the handler gives (a refusal on this very page) outranks an older one.
        try:
            context.setdefault("flash", json.loads(unquote(raw)))
        except ValueError:
            context.setdefault("flash", None)
        cookies.append(Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/"))
    if principal.new_anon_csrf:
        cookies.append(_anon_csrf_cookie(request, principal.csrf_token))
    return Template(template, context=context, status_code=status_code, cookies=cookies)


def _anon_csrf_cookie(request: Request, value: str) -> Cookie:
    return Cookie(
        key=ANON_CSRF_COOKIE,
        value=value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def redirect(url: str, message: str = "", level: str = "success", about: str = "") -> Redirect:
    """Post/redirect/get with an optional one-time flash message. `about` names what the
    message reports on (`deployment-7`), so the page can make it follow that thing's state."""
    cookies = []
    if message:
        flash = {"level": level, "message": message, **({"about": about} if about else {})}
        payload = quote(json.dumps(flash))
        cookies.append(Cookie(key=FLASH_COOKIE, value=payload, max_age=60, path="/"))
    return Redirect(url, status_code=303, cookies=cookies)


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: (v if isinstance(v, str) else "") for k, v in form.items() if k != "csrf_token"}


def field_errors(exc: ShoalError) -> dict[str, str]:
    """{field: message} for a form re-render; '' is the form-level slot."""
    return {getattr(exc, "field", None) or "": exc.detail}


def refused(exc: ShoalError, form: dict[str, str] | None = None) -> dict[str, Any]:
    """What a page re-rendered after a refused submit takes: the message beside its field,
    the error's status, and (when given) the input as typed, so nothing is lost."""
    context: dict[str, Any] = {"errors": field_errors(exc), "status_code": exc.status_code}
    if form is not None:
        context["form"] = form
    return context


def as_int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def as_float(value: str | None, default: float | None = None) -> float | None:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default
