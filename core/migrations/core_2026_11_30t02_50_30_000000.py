"""Idle detection (issue 20): an idle period per environment and per project, and what the
control plane last saw of each deployment's traffic (ingress requests, container bytes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Integer, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T02:50:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "idle periods and deployment activity"

COLUMNS = [
    ("Environment", "environments", "idle_minutes", Integer),
    ("Project", "projects", "idle_minutes", Integer),
    ("Deployment", "deployments", "last_active_at", Timestamptz),
    ("Deployment", "deployments", "net_bytes", BigInt),
    ("Deployment", "deployments", "ingress_requests", BigInt),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    for class_name, tablename, name, column in COLUMNS:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params={
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
