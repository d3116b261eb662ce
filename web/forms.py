"""The one flow every page form that saves something follows.

POST reads the form, calls one core service, and redirects with a flash message; when the
service refuses, the same page comes back with the error beside its field, every input as
typed, and the error's status. Controllers give only what differs: how to call the service,
where to go after, and how to draw the page again; and, where a form needs it, which fields are
never echoed (`keep_except`), which form of the page the input belongs to (`keep_as`), which
fields are checkbox lists (`with_lists`), and which refusals are not about the input (`raises`).
A button that saves nothing typed (`act`) and a delete (`remove`) have their own short flows.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.response import Redirect, Template

from core.errors import ShoalError
from web.rendering import form_data, redirect, refused

T = TypeVar("T")
# Field → text as typed; a field `with_lists` names holds the list of its ticked values.
Form = dict[str, Any]
Reader = Callable[[Request], Awaitable[Form]]
# Draws the page again with the refusal's context (errors, form, status_code) added.
Redraw = Callable[..., Awaitable[Template]]
Kept = Callable[[ShoalError, Form], dict[str, Any]]
# Where to go after a save: a redirect, or a page (awaitable or not) that shows something once,
# such as a new token, which must not travel in a redirect's flash cookie.
Done = Callable[[T], Template | Redirect | Awaitable[Template | Redirect]]


def keep_input(exc: ShoalError, data: Form) -> dict[str, Any]:
    return refused(exc, data)


def drop_input(exc: ShoalError, data: Form) -> dict[str, Any]:
    """For small forms sharing a page with the main one (grants, members): their input must
    not fill the main form's fields."""
    return refused(exc)


def keep_except(*names: str) -> Kept:
    """Keep the input but the write-only fields (passwords, secrets): a page never shows one,
    not even as just typed."""
    return lambda exc, data: refused(exc, {k: v for k, v in data.items() if k not in names})


def keep_as(key: str) -> Kept:
    """For a page's second form: its input comes back under `key`, so it fills that form and
    not the main one."""
    return lambda exc, data: {**refused(exc), key: data}


def with_lists(*names: str) -> Reader:
    """A reader for a form with checkbox groups: each named field is the list of ticked values
    (a plain read would keep one of them)."""

    async def read(request: Request) -> Form:
        form = await request.form()
        data: Form = await form_data(request)
        for name in names:
            data[name] = (
                [v for v in form.getall(name) if isinstance(v, str)] if name in form else []
            )
        return data

    return read


async def submit(
    request: Request,
    call: Callable[[Form], Awaitable[T]],
    *,
    done: Done[T],
    redraw: Redraw,
    kept: Kept = keep_input,
    read: Reader = form_data,
    raises: tuple[type[ShoalError], ...] = (),
) -> Template | Redirect:
    """Parse and save inside one try, so a value the parser refuses (InvalidInput) comes back
    the same way as one the service refuses. A refusal of a class in `raises` (the thing is
    gone, the access lost) is not about the input: it goes to the error page, not the form."""
    data = await read(request)
    try:
        result = await call(data)
    except raises:
        raise
    except ShoalError as exc:
        return await redraw(**kept(exc, data))
    answer = done(result)
    return await answer if inspect.isawaitable(answer) else answer


async def act(
    call: Awaitable[T],
    *,
    back: str,
    done: Callable[[T], Template | Redirect],
    raises: tuple[type[ShoalError], ...] = (),
) -> Template | Redirect:
    """A button with nothing typed to keep (revoke, rotate, approve, sync, extend): `done`, or
    back to the page it sits on with the refusal as an error notice. A class in `raises` (the
    thing is gone, the access lost) goes to the error page instead."""
    try:
        result = await call
    except raises:
        raise
    except ShoalError as exc:
        return redirect(back, exc.detail, "error")
    return done(result)


async def remove(
    call: Awaitable[Any], *, to: str, redraw: Redraw, message: str = ""
) -> Template | Redirect:
    """Delete (the page asks to confirm first, `data-confirm`): a refusal, e.g. an environment
    that still has nodes, shows as an alert on the thing's own page, not an error page and not
    inside its edit form (which may be folded away). Without a `message`, the service's answer
    says what was done (a plugin still in use is retired, not deleted)."""
    try:
        answer = await call
    except ShoalError as exc:
        notice = {"level": "error", "message": exc.detail}
        return await redraw(flash=notice, status_code=exc.status_code)
    return redirect(to, message or str(answer))
