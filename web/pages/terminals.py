"""/deployments/{id}/services/{node}/terminal: a browser terminal into a running service (the
page with xterm.js) and its WebSocket (…/terminal/ws, web.terminal).

The WebSocket does its own sign-in check (the auth middleware sees only HTTP): a session cookie
or an API token. With a cookie, the Origin must be this site's (a page elsewhere cannot borrow
the visitor's session). Refusals — not signed in, no or read-only access, terminals off for
the environment, a service not running — are sent as {"type": "error", "detail"} and the
socket closed (4401, 4403, 4404 or 4409), before anything runs in the container.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from litestar import Request, Router, WebSocket, get, websocket
from litestar.params import Parameter
from litestar.response import Template

from core.actor import Actor
from core.domain.access import Level
from core.errors import ShoalError
from core.services import access, terminals
from core.services.deployments import get_deployment
from web import breadcrumbs, terminal
from web.auth import identify
from web.guards import requires_login
from web.params import IdParam, TextParam
from web.rendering import page
from web.security_headers import CONTENT_SECURITY_POLICY

CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404, 409: 4409, 422: 4422}
# xterm.js sizes its character grid with <style> elements it writes at run time (no nonce
# support), so this one page allows inline styles; scripts stay our own files only.
TERMINAL_CSP = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def _same_origin(socket: WebSocket) -> bool:
    origin = socket.headers.get("origin")
    if not origin:
        return True  # not a browser: a script with the cookie already has the session
    return urlsplit(origin).netloc == socket.headers.get("host", "")


async def _refuse(socket: WebSocket, status: int, detail: str) -> None:
    await socket.accept()
    await socket.send_text(json.dumps({"type": "error", "detail": detail}))
    await socket.close(code=CLOSE_CODES.get(status, 4500), reason=detail[:120])


@get("/deployments/{deployment_id:int}/services/{service:str}/terminal", guards=[requires_login])
async def terminal_page(
    request: Request, actor: Actor, deployment_id: IdParam, service: TextParam
) -> Template:
    """The page: full access only (403 with read access, 404 without)."""
    dep = await get_deployment(actor, deployment_id, Level.FULL)
    trail = breadcrumbs.of_deployment(await access.access_for(actor), dep)
    trail[-1] = breadcrumbs.Crumb(dep.name, f"/deployments/{dep.id}")
    response = page(
        request,
        "deployments/terminal.html",
        dep=dep,
        service=service,
        trail=[*trail, breadcrumbs.Crumb(f"Terminal: {service}")],
    )
    response.headers["content-security-policy"] = TERMINAL_CSP
    return response


@websocket("/deployments/{deployment_id:int}/services/{service:str}/terminal/ws")
async def terminal_socket(
    socket: WebSocket,
    deployment_id: IdParam,
    service: TextParam,
    shell: str = Parameter(default="", max_length=128),
    cols: int = Parameter(default=80, ge=1, le=1000),
    rows: int = Parameter(default=24, ge=1, le=1000),
) -> None:
    try:
        principal = await identify(socket.scope)
    except Exception:  # a revoked API token
        await _refuse(socket, 401, "Sign in first.")
        return
    actor = principal.actor
    if actor is None:
        await _refuse(socket, 401, "Sign in first.")
        return
    if principal.via == "session" and not _same_origin(socket):
        await _refuse(socket, 403, "A terminal opens only from this site's own pages.")
        return
    try:
        node_id, request, target = await terminals.open_request(
            actor, deployment_id, service, shell, cols, rows
        )
    except ShoalError as error:
        await _refuse(socket, error.status_code, error.detail)
        return
    await socket.accept()
    await terminal.run(socket, actor, node_id, request, target)


router = Router(path="/", route_handlers=[terminal_page, terminal_socket])
