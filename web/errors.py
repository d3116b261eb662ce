"""One place that turns errors into responses: JSON for the API, HTML pages otherwise.

API errors always carry `status_code` and `detail` (DESIGN §7). Pages get a friendly page;
HTMX requests get a toast fragment (with `HX-Reswap: none` so the page is left alone), and a
session that expired under an HTMX request becomes `HX-Redirect` to the login page.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from core.errors import UNSTORABLE, ShoalError, Throttled
from web.rendering import page

log = logging.getLogger(__name__)

DB_DOWN = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
)

TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    422: "Check the form",
    429: "Slow down",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def _is_api(request: Request) -> bool:
    return (
        request.url.path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


def _respond(request: Request, status: int, detail: str, extra: dict | None = None) -> Response:
    headers = dict(extra or {})
    if _is_api(request):
        return Response(
            {"status_code": status, "detail": detail},
            status_code=status,
            headers=headers,
            media_type=MediaType.JSON,
        )
    if request.headers.get("hx-request"):
        headers["HX-Reswap"] = "none"
        return Template(
            "partials/toast.html",
            context={"level": "error", "message": detail},
            status_code=status,
            headers=headers,
        )
    response = page(
        request,
        "errors/error.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, "Error"),
        detail=detail,
    )
    response.headers.update(headers)
    return response


def shoal_error(request: Request, exc: ShoalError) -> Response:
    extra = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    return _respond(request, exc.status_code, exc.detail, extra)


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _is_api(request):
        target = "/login?next=" + quote(request.url.path)
        if request.headers.get("hx-request"):
            return Response("", status_code=200, headers={"HX-Redirect": target})
        return Redirect(target)
    detail = exc.detail
    if (
        exc.status_code == 400
        and isinstance(exc.extra, list | dict)
        and exc.extra
        and _is_api(request)
    ):
        return Response(
            {"status_code": 400, "detail": detail, "extra": exc.extra},
            status_code=400,
            media_type=MediaType.JSON,
        )
    return _respond(request, exc.status_code, detail, exc.headers)


def unstorable_value(request: Request, exc: asyncpg.DataError) -> Response:
    """A value PostgreSQL refused (NUL in text, a number beyond its column) that no check
    caught earlier: the request's fault, so a 400, never a 500."""
    log.warning("refused value during %s %s: %s", request.method, request.url.path, exc)
    return _respond(request, 400, UNSTORABLE)


def unexpected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DB_DOWN):
        log.error("database unavailable during %s %s: %s", request.method, request.url.path, exc)
        return _respond(request, 503, "The database is unavailable right now. Try again shortly.")
    log.exception("unhandled error during %s %s", request.method, request.url.path)
    return _respond(
        request, HTTP_500_INTERNAL_SERVER_ERROR, "An unexpected error occurred; it was logged."
    )


EXCEPTION_HANDLERS = {
    ShoalError: shoal_error,
    HTTPException: http_error,
    asyncpg.DataError: unstorable_value,
    Exception: unexpected_error,
}
