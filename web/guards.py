"""Route guards, set per router/controller: signed in, admin."""

from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler

from web.auth import principal_of


async def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if principal_of(connection).actor is None:
        raise NotAuthorizedException("Sign in first.")


async def requires_admin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    await requires_login(connection, handler)
    if not principal_of(connection).is_admin:
        # Admin areas are invisible to others: 404, as for any object they may not see.
        raise NotFoundException("Not found.")


async def requires_admin_api(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """For the JSON API a clear 403 helps scripts more than a 404 would."""
    await requires_login(connection, handler)
    if not principal_of(connection).is_admin:
        raise PermissionDeniedException("This needs an admin.")
