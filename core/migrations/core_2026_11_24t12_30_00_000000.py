"""Admission: a per-node host CPU reserve and overcommit factor, and CPU used outside Shoal."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Float
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "nodes: cpu_reserve, cpu_overcommit; node_samples: cpu_outside"


def _float(default: float) -> dict:
    return {
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    columns = [
        ("Node", "nodes", "cpu_reserve", 0.5),
        ("Node", "nodes", "cpu_overcommit", 1.0),
        ("NodeSample", "node_samples", "cpu_outside", 0.0),
    ]
    for table_class, tablename, column, default in columns:
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            column_class_name="Float",
            column_class=Float,
            params=_float(default),
            schema=None,
        )
    return manager
