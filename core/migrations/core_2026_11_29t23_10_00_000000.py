"""Notifications: channels (kind, scope, events, encrypted config), the event outbox and one
delivery row per event and channel (core.tables.notifications)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-29T23:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification_channels, notification_events, notification_deliveries"


def _ref(name: str, tablename: str) -> type[Table]:
    id_column = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )
    return type(name, (Table,), {"id": id_column}, tablename=tablename, schema=None)


Environment = _ref("Environment", "environments")
Project = _ref("Project", "projects")
User = _ref("User", "users")
NotificationChannel = _ref("NotificationChannel", "notification_channels")


def _params(**values: object) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **values,
    }


def _fk(references: type[Table], index: bool = False) -> dict:
    return _params(
        references=references,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=True,
        index=index,
    )


TABLES = {
    ("NotificationChannel", "notification_channels"): [
        ("name", Varchar, _params(length=64, default="")),
        ("kind", Varchar, _params(length=16, default="")),
        ("environment", ForeignKey, _fk(Environment)),
        ("project", ForeignKey, _fk(Project)),
        ("user", ForeignKey, _fk(User)),
        ("events", JSONB, _params(default="[]")),
        ("expiring_minutes", Integer, _params(default=60)),
        ("config_ciphertext", Text, _params(default="")),
        ("summary", Varchar, _params(length=256, default="")),
        ("enabled", Boolean, _params(default=True)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("NotificationEvent", "notification_events"): [
        ("key", Varchar, _params(length=200, default="", unique=True)),
        ("kind", Varchar, _params(length=32, default="")),
        ("deployment_id", Integer, _params(null=True, default=None)),
        ("node_id", Integer, _params(null=True, default=None)),
        ("data", JSONB, _params(default="{}")),
        ("at", Timestamptz, _params(default=TimestamptzNow())),
        ("dispatched_at", Timestamptz, _params(null=True, default=None, index=True)),
    ],
    ("NotificationDelivery", "notification_deliveries"): [
        ("channel", ForeignKey, _fk(NotificationChannel, index=True)),
        ("event_key", Varchar, _params(length=200, default="")),
        ("kind", Varchar, _params(length=32, default="")),
        ("status", Varchar, _params(length=16, default="pending", index=True)),
        ("attempts", Integer, _params(default=0)),
        ("last_error", Text, _params(default="")),
        ("payload", JSONB, _params(default="{}")),
        ("next_attempt_at", Timestamptz, _params(null=True, default=None)),
        ("claimed_at", Timestamptz, _params(null=True, default=None)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("delivered_at", Timestamptz, _params(null=True, default=None)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
