"""The one flow every page form that saves something follows.

POST reads the form, calls one core service, and redirects with a flash message; when the
service refuses, the same page comes back with the error beside its field, every input as
typed, and the error's status. Controllers give only what differs: how to call the service,
where to go after, and how to draw the page again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.response import Redirect, Template

from core.errors import ShoalError
from web.rendering import form_data, redirect, refused

T = TypeVar("T")
Form = dict[str, str]
# Draws the page again with the refusal's context (errors, form, status_code) added.
Redraw = Callable[..., Awaitable[Template]]
Kept = Callable[[ShoalError, Form], dict[str, Any]]


def keep_input(exc: ShoalError, data: Form) -> dict[str, Any]:
    return refused(exc, data)


def drop_input(exc: ShoalError, data: Form) -> dict[str, Any]:
    """For small forms sharing a page with the main one (grants, members): their input must
    not fill the main form's fields."""
    return refused(exc)


async def submit(
    request: Request,
    call: Callable[[Form], Awaitable[T]],
    *,
    done: Callable[[T], Redirect],
    redraw: Redraw,
    kept: Kept = keep_input,
) -> Template | Redirect:
    """Parse and save inside one try, so a value the parser refuses (InvalidInput) comes back
    the same way as one the service refuses."""
    data = await form_data(request)
    try:
        result = await call(data)
    except ShoalError as exc:
        return await redraw(**kept(exc, data))
    return done(result)


async def remove(
    call: Awaitable[Any], *, to: str, message: str, redraw: Redraw
) -> Template | Redirect:
    """Delete (the page asks to confirm first, `data-confirm`): a refusal, e.g. an environment
    that still has nodes, shows as an alert on the thing's own page, not an error page and not
    inside its edit form (which may be folded away)."""
    try:
        await call
    except ShoalError as exc:
        notice = {"level": "error", "message": exc.detail}
        return await redraw(flash=notice, status_code=exc.status_code)
    return redirect(to, message)
