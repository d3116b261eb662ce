"""Notification channels (admin): list and add, edit, delete, "send test", and each channel's
delivery log (an HTMX fragment that refreshes itself while anything is still on its way).

URLs, signing secrets and SMTP passwords are write-only: the form never shows the stored ones
(empty keeps them); a generated signing secret is shown once, after the channel is added."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core import context
from core.actor import Actor
from core.domain.notifications import CHANNEL_KINDS, KINDS, SUBSCRIBABLE
from core.errors import ShoalError
from core.notifications import channels, deliveries
from core.notifications.channels import ChannelInput
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, page, redirect, refused

ADMIN_NAV = ("Notifications", "/notifications", 42)
SECRET_FIELDS = ("secret", "password")  # never echoed, not even just typed


async def read_form(request: Request) -> tuple[ChannelInput, dict[str, Any]]:
    """(input, what to re-render): the events are a checkbox list; secrets are never echoed."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    events = [e for e in form.getall("events") if isinstance(e, str)] if "events" in form else []
    data_in = ChannelInput(
        name=data.get("name", ""),
        kind=data.get("kind", ""),
        environment_id=as_int(data.get("environment_id")),
        project_id=as_int(data.get("project_id")),
        events=events,
        expiring_minutes=(as_int(data.get("expiring_minutes"), 0) or 0)
        if "expiring_minutes" in data
        else 60,
        enabled=data.get("enabled") == "on",
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
    kept = {k: v for k, v in data.items() if k not in SECRET_FIELDS}
    return data_in, {**kept, "events": events}


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
    data, typed = await read_form(request)
    data.enabled = True
    try:
        made = await channels.create_channel(actor, data)
    except ShoalError as exc:
        return await _index(request, **refused(exc, typed))
    if made.signing_secret:
        return await _detail(request, actor, made.id, signing_secret=made.signing_secret)
    return redirect(f"/notifications/{made.id}", f"Channel '{made.name}' added.")


@get("/{channel_id:int}")
async def detail(request: Request, actor: Actor, channel_id: IdParam) -> Template:
    return await _detail(request, actor, channel_id)


@post("/{channel_id:int}")
async def update(request: Request, actor: Actor, channel_id: IdParam) -> Template | Redirect:
    data, typed = await read_form(request)
    data.enabled = typed.get("enabled") == "on"
    try:
        await channels.update_channel(actor, channel_id, data)
    except ShoalError as exc:
        return await _detail(request, actor, channel_id, **refused(exc, typed))
    return redirect(f"/notifications/{channel_id}", "Channel saved.")


@post("/{channel_id:int}/delete")
async def remove(request: Request, actor: Actor, channel_id: IdParam) -> Template | Redirect:
    try:
        await channels.delete_channel(actor, channel_id)
    except ShoalError as exc:
        return await _detail(request, actor, channel_id, **refused(exc))
    return redirect("/notifications", "Channel deleted.")


@post("/{channel_id:int}/test")
async def send_test(request: Request, actor: Actor, channel_id: IdParam) -> Redirect:
    await deliveries.send_test(actor, channel_id, context.settings().effective_public_url)
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
