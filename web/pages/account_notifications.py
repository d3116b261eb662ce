"""The Account page's "Notifications" section: notify me about deployments I created, by
e-mail. Loaded into the Account page by HTMX and saved in place; without HTMX the same form
is a page of its own, so it works as a plain POST too."""

from __future__ import annotations

from functools import partial

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.notifications import KINDS, PERSONAL_EVENTS
from core.notifications import personal
from web.forms import submit, with_lists
from web.guards import requires_login
from web.rendering import as_int, page, redirect


async def _render(request: Request, actor: Actor, **extra: object) -> Template:
    template = (
        "partials/notifications/personal.html"
        if request.headers.get("hx-request")
        else "notifications/personal.html"
    )
    return page(
        request,
        template,
        personal=await personal.get_personal(actor),
        events=[(kind, KINDS[kind].title) for kind in PERSONAL_EVENTS],
        **extra,
    )


@get("/")
async def show(request: Request, actor: Actor) -> Template:
    return await _render(request, actor)


@post("/")
async def save(request: Request, actor: Actor) -> Template | Redirect:
    async def saved(_: object) -> Template | Redirect:
        # Saved in place under HTMX; as a plain POST, back to the Account page.
        if request.headers.get("hx-request"):
            return await _render(request, actor, saved=True)
        return redirect("/account", "Notification preferences saved.")

    return await submit(
        request,
        lambda data: personal.set_personal(
            actor,
            enabled=data.get("enabled") == "on",
            email=data.get("email", ""),
            events=data["events"],
            expiring_minutes=(as_int(data.get("expiring_minutes"), 0) or 0)
            if "expiring_minutes" in data
            else 60,
        ),
        done=saved,
        redraw=partial(_render, request, actor),
        read=with_lists("events"),
    )


router = Router(
    path="/account/notifications",
    route_handlers=[show, save],
    guards=[requires_login],
    include_in_schema=False,
)
