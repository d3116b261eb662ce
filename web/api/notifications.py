"""/api/v1/notification-channels (admin): channels of an environment, a project or the whole
installation, "send test" and each channel's delivery log; /api/v1/me/notifications: the
caller's personal e-mail notifications. URLs, signing secrets and SMTP passwords are
write-only: answers carry the channel's `summary` (a generated signing secret once, on create)."""

from __future__ import annotations

import msgspec
from litestar import Router, delete, get, post, put

from core import runtime
from core.actor import Actor
from core.notifications import channels, deliveries, personal
from core.notifications.channels import ChannelInput, ChannelView
from core.notifications.deliveries import DeliveryView
from core.notifications.personal import PersonalView
from web.guards import requires_admin_api, requires_login
from web.params import IdParam


class PersonalInput(msgspec.Struct, kw_only=True):
    enabled: bool
    email: str = ""
    """Empty: the account's address."""
    events: list[str] | None = None
    expiring_minutes: int = 60


@get("/")
async def list_channels() -> list[ChannelView]:
    return await channels.list_channels()


@post("/")
async def create_channel(actor: Actor, data: ChannelInput) -> ChannelView:
    """A `url` that is not http(s) or points at this control plane is a 422 naming the
    problem. A webhook without `secret` gets a generated one, in this answer only."""
    return await channels.create_channel(actor, data)


@get("/{channel_id:int}")
async def get_channel(actor: Actor, channel_id: IdParam) -> ChannelView:
    return await channels.get_channel(actor, channel_id)


@put("/{channel_id:int}")
async def update_channel(actor: Actor, channel_id: IdParam, data: ChannelInput) -> ChannelView:
    """Empty `url`, `secret` and `password` keep the stored ones."""
    return await channels.update_channel(actor, channel_id, data)


@delete("/{channel_id:int}")
async def delete_channel(actor: Actor, channel_id: IdParam) -> None:
    """Pending deliveries go with the channel."""
    await channels.delete_channel(actor, channel_id)


@post("/{channel_id:int}/test", status_code=202)
async def send_test(actor: Actor, channel_id: IdParam) -> DeliveryView:
    """Queue a test message; follow it in the delivery log."""
    public_url = runtime.settings().effective_public_url
    return await deliveries.send_test(actor, channel_id, public_url)


@get("/{channel_id:int}/deliveries")
async def list_deliveries(actor: Actor, channel_id: IdParam) -> list[DeliveryView]:
    """The 50 newest deliveries: status, attempts, last error, the payload as sent."""
    return await deliveries.list_deliveries(actor, channel_id)


channel_router = Router(
    path="/notification-channels",
    route_handlers=[
        list_channels,
        create_channel,
        get_channel,
        update_channel,
        delete_channel,
        send_test,
        list_deliveries,
    ],
    guards=[requires_admin_api],
    tags=["notifications"],
)


@get("/me/notifications")
async def get_personal(actor: Actor) -> PersonalView:
    return await personal.get_personal(actor)


@put("/me/notifications")
async def set_personal(actor: Actor, data: PersonalInput) -> PersonalView:
    """ "Notify me about deployments I created" by e-mail (events: ready, failed, deleted,
    expiring)."""
    return await personal.set_personal(
        actor,
        enabled=data.enabled,
        email=data.email,
        events=data.events,
        expiring_minutes=data.expiring_minutes,
    )


router = Router(
    path="/",
    route_handlers=[channel_router, get_personal, set_personal],
    guards=[requires_login],
)
