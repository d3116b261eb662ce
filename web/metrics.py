"""/metrics for Prometheus, readable by admins (session or API token) and by a scraper that
sends the `metrics_token` setting as its bearer token.

The numbers name routes, request rates and error counts: reconnaissance for anyone probing the
installation, so they are not public. Refusals are plain 401/403 answers (with
`WWW-Authenticate: Bearer` on 401), never the sign-in redirect pages get: a scraper reads the
status code, not a login form.
"""

from __future__ import annotations

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from core.tokens import same
from web.auth import bearer_token, identify


async def metrics_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    expected = connection.app.state.settings.metrics_token
    sent = bearer_token(connection.scope)
    if expected and sent is not None and same(sent, expected):
        return
    principal = await identify(connection.scope)  # an unknown bearer token → 401 here
    if principal.actor is None:
        raise NotAuthorizedException("Metrics need an admin or the metrics token.")
    if not principal.is_admin:
        raise PermissionDeniedException("Metrics are for admins.")


def _refused(_: Request, exc: NotAuthorizedException | PermissionDeniedException) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    return Response(
        f"{exc.detail}\n", status_code=exc.status_code, headers=headers, media_type=MediaType.TEXT
    )


class MetricsController(PrometheusController):
    path = "/metrics"
    openmetrics_format = False
    guards = [metrics_guard]
    exception_handlers = {
        NotAuthorizedException: _refused,
        PermissionDeniedException: _refused,
    }
