"""Plugin distribution: each node's report of the catalog's plugin images (present, pulling,
failed with the reason), and plugins retired while deployments still run with them (kept for
those deployments, hidden from the catalog). The next migration makes a retired plugin's name
free again for a new plugin."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T20:51:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "nodes: plugin_images; plugins: removed_at, name no longer unique by itself"


def _params(**extra: object) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Node",
        tablename="nodes",
        column_name="plugin_images",
        db_column_name="plugin_images",
        column_class_name="JSONB",
        column_class=JSONB,
        params=_params(default="{}"),
        schema=None,
    )
    manager.add_column(
        table_class_name="Plugin",
        tablename="plugins",
        column_name="removed_at",
        db_column_name="removed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(null=True, default=None),
        schema=None,
    )
    manager.alter_column(
        table_class_name="Plugin",
        tablename="plugins",
        column_name="name",
        db_column_name="name",
        params={"unique": False},
        old_params={"unique": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
