"""Per-service container settings: capabilities to add or drop and the user to run as."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T09:14:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "services: cap_add, cap_drop, run_as"


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
    for name in ("cap_add", "cap_drop"):
        manager.add_column(
            table_class_name="Service",
            tablename="services",
            column_name=name,
            db_column_name=name,
            column_class_name="JSONB",
            column_class=JSONB,
            params=_params(default="[]"),
            schema=None,
        )
    manager.add_column(
        table_class_name="Service",
        tablename="services",
        column_name="run_as",
        db_column_name="run_as",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=64, default=""),
        schema=None,
    )
    return manager
