"""Step outputs that hold a secret: the real ones sealed under the master key beside the masked
copy that read-level users see."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T11:02:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "pipeline_steps: sealed_outputs"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="PipelineStep",
        tablename="pipeline_steps",
        column_name="sealed_outputs",
        db_column_name="sealed_outputs",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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
