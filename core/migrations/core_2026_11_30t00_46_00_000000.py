"""Schedules of a project (issue 20): office hours and nightly cron deployments."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSONB, Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T00:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "schedules"


def _stub(class_name: str, tablename: str) -> type[Table]:
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
    return type(class_name, (Table,), {"id": id_column}, tablename=tablename, schema=None)


Project = _stub("Project", "projects")
Environment = _stub("Environment", "environments")


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


def _fk(table: type[Table], **extra: object) -> dict:
    values: dict = {"null": True, **extra}
    return _params(
        references=table,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        **values,
    )


COLUMNS = [
    ("project", ForeignKey, _fk(Project, index=True)),
    ("kind", Varchar, _params(length=16, default="office_hours")),
    ("time_zone", Varchar, _params(length=64, default="UTC")),
    ("days", JSONB, _params(default="[0, 1, 2, 3, 4]")),
    ("start_time", Varchar, _params(length=5, default="08:00")),
    ("end_time", Varchar, _params(length=5, default="19:00")),
    ("cron", Varchar, _params(length=120, default="")),
    ("environment", ForeignKey, _fk(Environment)),
    ("deployment_name", Varchar, _params(length=63, default="nightly")),
    ("tag_patterns", JSONB, _params(default="{}")),
    ("enabled", Boolean, _params(default=True)),
    ("last_run_at", Timestamptz, _params(default=None, null=True)),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_table(class_name="Schedule", tablename="schedules", schema=None, columns=None)
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="Schedule",
            tablename="schedules",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
