"""The error answers of every /api/v1 route, written into the OpenAPI document in one place.

Litestar documents a route's success answer and its 400. The errors Shoal's services raise
(core/errors.py) follow from what a route is, so they are derived here instead of repeated on
60 handlers: every API route needs a signed-in caller or a token (401); admin-only routes and
every write can be refused for the caller's level (403); a route that names an object in its
path can miss it, or the caller may not see it (404); a write can conflict with what exists
(409); a write's body or a query a service checks can be refused field by field (422). All of
them carry the same JSON body as every other error: `{status_code, detail}`.
"""

from __future__ import annotations

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from web.guards import requires_admin_api

API_PREFIX = "/api/v1"
READS = {"GET", "HEAD", "OPTIONS"}


class ErrorBody(msgspec.Struct):
    status_code: int
    detail: str


DESCRIPTIONS = {
    401: "Not signed in, or the API token is missing, invalid or revoked.",
    403: "Signed in, but this needs an admin or full access.",
    404: "No such object, or the caller may not see it.",
    409: "Conflicts with what exists: a name in use, a stale version, an object still in use.",
    422: "A field was refused; `detail` says which and why.",
}


def error_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> list[int]:
    writes = not handler.http_methods <= READS
    signature = handler.parsed_fn_signature.parameters
    queries = _query_names(handler) - set(route.path_parameters)
    statuses = [401]
    if writes or requires_admin_api in handler.resolve_guards():
        statuses.append(403)
    if route.path_parameters:
        statuses.append(404)
    if writes:
        statuses.append(409)
    if "data" in signature or queries or handler.opt.get("reads_body"):
        statuses.append(422)
    return statuses


def _query_names(handler: HTTPRouteHandler) -> set[str]:
    dependencies = set(handler.resolve_dependencies())
    reserved = {"data", "request", "state", "scope", "headers", "cookies", "query", "socket"}
    return {
        name
        for name, field in handler.parsed_fn_signature.parameters.items()
        if name not in dependencies and name not in reserved and not field.is_di_field
    }


class ErrorResponses(ReceiveRoutePlugin):
    """Adds the documented error answers to each API route as the app registers it."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIX):
            return
        for handler in route.route_handlers:
            documented = {
                status: ResponseSpec(
                    data_container=ErrorBody,
                    description=DESCRIPTIONS[status],
                    generate_examples=False,
                )
                for status in error_statuses(route, handler)
            }
            handler.responses = {**documented, **(handler.responses or {})}
