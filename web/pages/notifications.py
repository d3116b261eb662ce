"""Notification channels (admin): list and add, edit, delete, "send test", and each channel's
delivery log (an HTMX fragment that refreshes itself while anything is still on its way).

URLs, signing secrets and SMTP passwords are write-only: the form never shows the stored ones
(empty keeps them); a generated signing secret is shown once, after the channel is added."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core import runtime
from core.actor import Actor
from core.domain.notifications import CHANNEL_KINDS, KINDS, SUBSCRIBABLE
from core.notifications import channels, deliveries
from core.notifications.channels import ChannelInput
from web import forms
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, page, redirect

ADMIN_NAV = ("Notifications", "/notifications", 42)
SECRET_FIELDS = ("secret", "password")  # never echoed, not even just typed


def channel_input(data: dict[str, Any], enabled: bool) -> ChannelInput:
    """The form (read `with_lists("events")`) as the service's input."""
    return ChannelInput(
        name=data.get("name", ""),
        kind=data.get("kind", ""),
        environment_id=as_int(data.get("environment_id")),
        project_id=as_int(data.get("project_id")),
        events=data.get("events", []),
        expiring_minutes=(as_int(data.get("expiring_minutes"), 0) or 0)
        if "expiring_minutes" in data
        else 60,
        enabled=enabled,
        url=data.get("url", ""),
        secret=data.get("secret", ""),
        host=data.get("host", ""),
        port=as_int(data.get("port")),
        security=data.get("security", "starttls"),
        username=data.get("username", ""),
        password=data.get("password", ""),
        sender=data.get("sender", ""),
        to=[part.strip() for part in data.get("to", "").split(",") if part.strip()],
    )


async def _context(**extra: Any) -> dict[str, Any]:
    return {
        "kinds": CHANNEL_KINDS,
        "events": [(kind, KINDS[kind].title) for kind in SUBSCRIBABLE],
        **(await channels.scope_choices()),
        **extra,
    }


async def _index(request: Request, **extra: Any) -> Template:
    listed = await channels.list_channels()
    return page(request, "notifications/index.html", **await _context(channels=listed, **extra))


async def _detail(request: Request, actor: Actor, channel_id: int, **extra: Any) -> Template:
    channel = await channels.get_channel(actor, channel_id)
    log = await deliveries.list_deliveries(actor, channel_id)
    return page(
        request,
        "notifications/detail.html",
        **await _context(channel=channel, deliveries=log, **extra),
    )


@get("/")
async def index(request: Request) -> Template:
    return await _index(request)


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    async def shown(made: channels.ChannelView) -> Template | Redirect:
        # A generated signing secret exists only in this answer: shown once, never redirected.
        if made.signing_secret:
            return await _detail(request, actor, made.id, signing_secret=made.signing_secret)
        return redirect(f"/notifications/{made.id}", f"Channel '{made.name}' added.")

    return await forms.submit(
        request,
        lambda data: channels.create_channel(actor, channel_input(data, enabled=True)),
        done=shown,
        redraw=partial(_index, request),
        kept=forms.keep_except(*SECRET_FIELDS),
        read=forms.with_lists("events"),
    )


@get("/{channel_id:int}")
async def detail(request: Request, actor: Actor, channel_id: IdParam) -> Template:
    return await _detail(request, actor, channel_id)


@post("/{channel_id:int}")
async def update(request: Request, actor: Actor, channel_id: IdParam) -> Template | Redirect:
    return await forms.submit(
        request,
        lambda data: channels.update_channel(
            actor, channel_id, channel_input(data, enabled=data.get("enabled") == "on")
        ),
        done=lambda _: redirect(f"/notifications/{channel_id}", "Channel saved."),
        redraw=partial(_detail, request, actor, channel_id),
        kept=forms.keep_except(*SECRET_FIELDS),
        read=forms.with_lists("events"),
    )


@post("/{channel_id:int}/delete")
async def remove(request: Request, actor: Actor, channel_id: IdParam) -> Template | Redirect:
    return await forms.remove(
        channels.delete_channel(actor, channel_id),
        to="/notifications",
        message="Channel deleted.",
        redraw=partial(_detail, request, actor, channel_id),
    )


@post("/{channel_id:int}/test")
async def send_test(request: Request, actor: Actor, channel_id: IdParam) -> Redirect:
    await deliveries.send_test(actor, channel_id, runtime.settings().effective_public_url)
    return redirect(f"/notifications/{channel_id}", "Test message queued: see the log below.")


@get("/{channel_id:int}/log")
async def delivery_log(request: Request, actor: Actor, channel_id: IdParam) -> Template:
    """HTMX: the delivery log, which polls itself while a delivery is pending or retrying."""
    log = await deliveries.list_deliveries(actor, channel_id)
    return page(request, "partials/notifications/log.html", channel_id=channel_id, deliveries=log)


router = Router(
    path="/notifications",
    route_handlers=[index, create, detail, update, remove, send_test, delivery_log],
    guards=[requires_admin],
    include_in_schema=False,
)
