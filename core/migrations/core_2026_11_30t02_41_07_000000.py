"""Datasets of a project (issue 24): datasets (its unique version per name is the next
migration: Piccolo runs raw statements before the tables it adds)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import BigInt, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T02:41:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "datasets"


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


User = _stub("User", "users")
Project = _stub("Project", "projects")


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


def _fk(table: type[Table], on_delete: OnDelete = OnDelete.cascade, **extra: object) -> dict:
    values: dict = {"null": True, **extra}
    return _params(
        references=table,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        **values,
    )


COLUMNS = [
    ("project", ForeignKey, _fk(Project, index=True)),
    ("name", Varchar, _params(length=63, default="")),
    ("version", Integer, _params(default=1)),
    ("sha256", Varchar, _params(length=64, default="", index=True)),
    ("size_bytes", BigInt, _params(default=0)),
    ("format", Varchar, _params(length=8, default="custom")),
    ("source", Varchar, _params(length=2000, default="upload")),
    ("created_by", ForeignKey, _fk(User, OnDelete.set_null)),
    ("created_by_name", Varchar, _params(length=150, default="")),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_table(class_name="Dataset", tablename="datasets", schema=None, columns=None)
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="Dataset",
            tablename="datasets",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
