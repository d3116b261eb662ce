"""Notification channels, the events they hear about and each delivery of one event to one
channel (core.notifications). A delivery is unique per (channel, event key): an event reaches a
channel once, however often it is dispatched."""

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.environments import Environment
from core.tables.projects import Project


class NotificationChannel(Table, tablename="notification_channels"):
    """Scope: an environment, a project, both, neither (every event: admins) or one user's own
    (personal: deployments that user created). `config_ciphertext` is the kind's JSON config
    (URLs with tokens, SMTP credentials) under the master key; `summary` is what may be shown."""

    name = Varchar(length=64)
    kind = Varchar(length=16)
    environment = ForeignKey(references=Environment, on_delete=OnDelete.cascade, null=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True)
    events = JSONB(default="[]")
    expiring_minutes = Integer(default=60)
    config_ciphertext = Text(default="")
    summary = Varchar(length=256, default="")
    enabled = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class NotificationEvent(Table, tablename="notification_events"):
    """The outbox: written where the thing happens, fanned out to channels by a job. `key` makes
    an event happen once (a re-reported `running` is still one `ready`)."""

    key = Varchar(length=200, unique=True)
    kind = Varchar(length=32)
    deployment_id = Integer(null=True, default=None)
    node_id = Integer(null=True, default=None)
    data = JSONB(default="{}")
    at = Timestamptz(default=TimestamptzNow())
    claimed_at = Timestamptz(null=True, default=None)  # a fan-out job's lease on it
    dispatched_at = Timestamptz(null=True, default=None, index=True)


class NotificationDelivery(Table, tablename="notification_deliveries"):
    """One event to one channel. `payload` is the message as sent, which never holds a secret
    (the channel's URL and credentials stay in the channel). Status: pending, sending,
    retrying, delivered, failed."""

    channel = ForeignKey(references=NotificationChannel, on_delete=OnDelete.cascade, index=True)
    event_key = Varchar(length=200)
    kind = Varchar(length=32)
    status = Varchar(length=16, default="pending", index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
    payload = JSONB(default="{}")
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
