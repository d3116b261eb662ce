"""environments.terminals: whether people with full access may open terminals and one-shot
commands in this environment's services (issue 23); on for existing environments."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T00:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "environments: terminals"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Environment",
        tablename="environments",
        column_name="terminals",
        db_column_name="terminals",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": True,
            "null": False,
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
