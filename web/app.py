"""create_app(settings) → the Litestar application: routers, templates, static files, lifespan.

Routers are discovered, not listed: every module in web/pages/ and web/api/ that exports a
`router` is mounted (pages at their own paths, API modules under /api/v1), so adding an area
never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.prometheus import PrometheusConfig
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from core.settings import Settings
from web import api, pages
from web.api_docs import LocalSwaggerUI
from web.auth import AuthMiddleware, csrf_guard
from web.client_ip import ProxyHeadersMiddleware
from web.deps import DEPENDENCIES
from web.errors import EXCEPTION_HANDLERS
from web.health import health_router
from web.lifespan import Lifespan
from web.metrics import MetricsController
from web.openapi import ErrorResponses
from web.rendering import ADMIN_LINKS
from web.runtime_scope import RuntimeScope
from web.security_headers import add_security_headers
from web.templating import make_template_engine

WEB_DIR = Path(__file__).parent
API_PREFIX = "/api/v1"


def discover_routers(package: object) -> list[Router]:
    found: list[Router] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):  # type: ignore[attr-defined]
        module = importlib.import_module(f"{package.__name__}.{info.name}")  # type: ignore[attr-defined]
        nav = getattr(module, "ADMIN_NAV", None)
        if nav and not any(link["href"] == nav[1] for link in ADMIN_LINKS):
            ADMIN_LINKS.append({"label": nav[0], "href": nav[1], "order": nav[2]})
            ADMIN_LINKS.sort(key=lambda link: link["order"])
        router = getattr(module, "router", None)
        if isinstance(router, Router):
            found.append(router)
    return found


def create_app(
    settings: Settings,
    dsn: str,
    *,
    run_worker: bool = True,
    own_pool: bool = True,
    run_background: bool = True,
    own_caddy: bool = False,
) -> Litestar:
    lifespan = Lifespan(
        settings,
        dsn,
        run_worker=run_worker,
        own_pool=own_pool,
        run_background=run_background,
        own_caddy=own_caddy,
    )
    prometheus = PrometheusConfig(
        app_name="shoal",
        group_path=True,
        # The ingress check runs on every request to a protected deployment: kept lean.
        exclude=["^/static/", "^/metrics$", "^/health/", "^/ingress-auth/check$"],
    )
    return Litestar(
        route_handlers=[
            *discover_routers(pages),
            Router(path=API_PREFIX, route_handlers=discover_routers(api)),
            health_router,
            MetricsController,
            create_static_files_router(path="/static", directories=[WEB_DIR / "static"]),
        ],
        middleware=[
            RuntimeScope(),
            ProxyHeadersMiddleware(),
            AuthMiddleware(),
            prometheus.middleware,
        ],
        guards=[csrf_guard],
        dependencies=DEPENDENCIES,
        plugins=[HTMXPlugin(), ErrorResponses()],
        template_config=TemplateConfig(engine=make_template_engine(WEB_DIR / "templates")),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[add_security_headers],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Shoal",
            version="1",
            path="/schema",
            render_plugins=[LocalSwaggerUI()],
        ),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=2048, exclude=["^/ingress-auth/check$"]
        ),
        state=State({"settings": settings, "lifespan": lifespan}),
        request_max_body_size=2 * 1024 * 1024,
        debug=False,
    )
