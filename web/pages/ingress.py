"""Ingress (admin): is Caddy reachable, how many hosts are routed, the last sync and its error,
the route table, and a "sync now" button. The status card is an HTMX fragment that refreshes
itself, so the page shows Caddy coming back without a reload.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core import ingress
from core.ingress.hostnames import service_url
from core.ingress.source import load_route_table
from web.forms import act
from web.guards import requires_admin
from web.rendering import page, redirect

ADMIN_NAV = ("Ingress", "/ingress", 40)
SHOWN_ROUTES = 300


def _card(request: Request) -> dict[str, Any]:
    options = ingress.current_options(request.app.state.settings)
    return {"status": ingress.status(), "listen": options.listen, "tls_listen": options.tls_listen}


@get("/")
async def index(request: Request) -> Template:
    options = ingress.current_options(request.app.state.settings)
    table = await load_route_table()
    routes = [
        {
            "route": route,
            "url": service_url(route.host, route.tls_mode, options.listen, options.tls_listen),
        }
        for route in table.routes[:SHOWN_ROUTES]
    ]
    return page(
        request,
        "ingress/index.html",
        routes=routes,
        total=len(table.routes),
        skipped=table.skipped,
        **_card(request),
    )


@get("/status")
async def status_card(request: Request) -> Template:
    return page(request, "partials/ingress/status.html", **_card(request))


@post("/sync")
async def sync(request: Request) -> Template | Redirect:
    return await act(ingress.sync_now(), back="/ingress", done=_synced)


def _synced(status: ingress.IngressStatus) -> Redirect:
    if status.last_error:
        return redirect("/ingress", f"Sync failed: {status.last_error}", "error")
    return redirect("/ingress", f"Caddy serves {status.route_count} host(s).")


router = Router(
    path="/ingress",
    route_handlers=[index, status_card, sync],
    guards=[requires_admin],
    include_in_schema=False,
)
