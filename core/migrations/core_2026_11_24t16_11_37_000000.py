"""Per-service usage samples: each service's CPU and memory over the last hour, for the
deployment page's charts (written and trimmed like node_samples)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Float, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-24T16:11:37:000000"
VERSION = "1.38.0"
DESCRIPTION = "service_samples: per-service CPU and memory for the last hour"


class Deployment(Table, tablename="deployments", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_table(
        class_name="ServiceSample", tablename="service_samples", schema=None, columns=None
    )
    columns = [
        (
            "deployment",
            ForeignKey,
            _params(
                references=Deployment,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
                null=True,
                index=True,
            ),
        ),
        ("service", Varchar, _params(length=63, default="")),
        ("at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
        ("cpu_percent", Float, _params(default=0.0)),
        ("memory_mb", Float, _params(default=0.0)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="ServiceSample",
            tablename="service_samples",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
