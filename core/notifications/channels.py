"""Notification channels as a service: admins manage the channels of an environment, a project
or the whole installation; every user switches their own personal e-mail channel on or off.
A channel's URL and credentials are write-only: views carry only its summary (a webhook's
signing secret is shown once, when Shoal generated it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from core.actor import Actor
from core.domain.notifications import CHANNEL_KINDS, SUBSCRIBABLE
from core.errors import Forbidden, InvalidInput, NotFound
from core.fields import Id, MaxLen, Text
from core.notifications import config as channel_config
from core.services.audit import Target, audited
from core.tables import Environment, NotificationChannel, Project

DEFAULT_EVENTS = ["ready", "failed", "deleted", "expiring"]


class ChannelInput(msgspec.Struct, kw_only=True):
    """`environment_id` and/or `project_id` narrow what it hears (neither: everything).
    slack/teams/webhook take `url` (webhook also `secret`, generated when empty); email takes
    `host`, `port`, `security`, `username`, `password`, `sender`, `to`. An empty `url`,
    `secret` or `password` on update keeps the stored one."""

    name: Annotated[Text, MaxLen(64)]
    kind: str
    environment_id: Id | None = None
    project_id: Id | None = None
    events: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_EVENTS))
    expiring_minutes: int = 60
    enabled: bool = True
    url: Text = ""
    secret: Text = ""
    host: Text = ""
    port: int | None = None
    security: str = "starttls"
    username: Text = ""
    password: str = ""
    sender: Text = ""
    to: list[str] = []


class ChannelView(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str
    scope: str
    environment_id: int | None
    environment_name: str | None
    project_id: int | None
    project_name: str | None
    events: list[str]
    expiring_minutes: int
    enabled: bool
    summary: str
    created_at: datetime
    signing_secret: str | None = None  # a generated webhook secret, in the create answer only


COLUMNS = (
    NotificationChannel.all_columns(),
    NotificationChannel.environment.name.as_alias("environment_name"),
    NotificationChannel.project.name.as_alias("project_name"),
)


def to_view(row: dict[str, Any]) -> ChannelView:
    scope = "personal" if row["user"] else "global"
    scope = "project" if row["project"] else "environment" if row["environment"] else scope
    return ChannelView(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        scope=scope,
        environment_id=row["environment"],
        environment_name=row["environment_name"],
        project_id=row["project"],
        project_name=row["project_name"],
        events=list(row["events"]),
        expiring_minutes=row["expiring_minutes"],
        enabled=row["enabled"],
        summary=row["summary"],
        created_at=row["created_at"],
    )


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage notification channels.")


async def list_channels() -> list[ChannelView]:
    rows = await (
        NotificationChannel.select(*COLUMNS)
        .where(NotificationChannel.user.is_null())
        .order_by(NotificationChannel.name)
        .output(load_json=True)
        .run()
    )
    return [to_view(row) for row in rows]


async def channel_row(channel_id: int) -> dict[str, Any]:
    """A shared (non-personal) channel's row, or NotFound."""
    row = await (
        NotificationChannel.select(*COLUMNS)
        .where((NotificationChannel.id == channel_id) & NotificationChannel.user.is_null())
        .output(load_json=True)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such notification channel.")
    return row


async def get_channel(actor: Actor, channel_id: int) -> ChannelView:
    _admin(actor)
    return to_view(await channel_row(channel_id))


async def _checked(data: ChannelInput) -> dict[Any, Any]:
    name = data.name.strip()
    if not 0 < len(name) <= 64:
        raise InvalidInput("Give the channel a name of up to 64 characters.", field="name")
    if data.kind not in CHANNEL_KINDS:
        raise InvalidInput("Choose Slack, Teams, e-mail or webhook.", field="kind")
    unknown = sorted(set(data.events) - set(SUBSCRIBABLE))
    if unknown or not data.events:
        what = f"Unknown event(s): {', '.join(unknown)}." if unknown else "Choose an event."
        raise InvalidInput(f"{what} Events: {', '.join(SUBSCRIBABLE)}.", field="events")
    if not 1 <= data.expiring_minutes <= 10080:
        raise InvalidInput(
            "Warn between 1 minute and 7 days before expiry.", field="expiring_minutes"
        )
    for table, value, field in (
        (Environment, data.environment_id, "environment_id"),
        (Project, data.project_id, "project_id"),
    ):
        if value is not None and not await table.exists().where(table.id == value).run():
            raise InvalidInput(f"No such {field.removesuffix('_id')}.", field=field)
    return {
        NotificationChannel.name: name,
        NotificationChannel.kind: data.kind,
        NotificationChannel.environment: data.environment_id,
        NotificationChannel.project: data.project_id,
        NotificationChannel.events: [e for e in SUBSCRIBABLE if e in data.events],
        NotificationChannel.expiring_minutes: data.expiring_minutes,
        NotificationChannel.enabled: data.enabled,
    }


def _given(data: ChannelInput) -> dict[str, Any]:
    return msgspec.to_builtins(data)


async def create_channel(actor: Actor, data: ChannelInput) -> ChannelView:
    async with audited(
        actor, "notification_channel.create", Target("notification_channel")
    ) as audit:
        _admin(actor)
        values = await _checked(data)
        config, summary = channel_config.build(data.kind, _given(data), {})
        audit.target = Target("notification_channel", name=data.name.strip())
        row = NotificationChannel(
            {**{c._meta.name: v for c, v in values.items()}, "summary": summary}
        )
        channel_id = (
            await NotificationChannel.insert(row).returning(NotificationChannel.id).run()
        )[0]["id"]
        sealed = channel_config.seal(channel_id, config)
        await (
            NotificationChannel.update({NotificationChannel.config_ciphertext: sealed})
            .where(NotificationChannel.id == channel_id)
            .run()
        )
        audit.target = Target("notification_channel", channel_id, data.name.strip())
        audit.detail = f"{data.kind}: {summary}"
    view = to_view(await channel_row(channel_id))
    if data.kind == "webhook" and not data.secret:
        view.signing_secret = config["secret"]
    return view


async def update_channel(actor: Actor, channel_id: int, data: ChannelInput) -> ChannelView:
    target = Target("notification_channel", channel_id)
    async with audited(actor, "notification_channel.update", target) as audit:
        _admin(actor)
        row = await channel_row(channel_id)
        audit.target = Target("notification_channel", channel_id, row["name"])
        values = await _checked(data)
        previous = channel_config.open_config(row) if row["kind"] == data.kind else {}
        config, summary = channel_config.build(data.kind, _given(data), previous)
        values[NotificationChannel.summary] = summary
        values[NotificationChannel.config_ciphertext] = channel_config.seal(channel_id, config)
        await NotificationChannel.update(values).where(NotificationChannel.id == channel_id).run()
        audit.detail = f"{data.kind}: {summary}"
    return to_view(await channel_row(channel_id))


async def delete_channel(actor: Actor, channel_id: int) -> None:
    """Its pending deliveries go with it: their jobs find nothing left to send."""
    target = Target("notification_channel", channel_id)
    async with audited(actor, "notification_channel.delete", target) as audit:
        _admin(actor)
        row = await channel_row(channel_id)
        audit.target = Target("notification_channel", channel_id, row["name"])
        await NotificationChannel.delete().where(NotificationChannel.id == channel_id).run()


async def scope_choices() -> dict[str, list[tuple[int, str]]]:
    """The environments and projects a channel may be narrowed to (for the form)."""
    envs = await Environment.select(Environment.id, Environment.name).order_by(Environment.name)
    projects = await Project.select(Project.id, Project.name).order_by(Project.name)
    return {
        "environments": [(row["id"], row["name"]) for row in envs],
        "projects": [(row["id"], row["name"]) for row in projects],
    }
