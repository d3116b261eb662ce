"""Who may open a deployment's URLs (issue 18): a policy per environment (`public` by default)
and an override per project (null = the environment's); per deployment a password and a
bypass token (encrypted), share links and ingress sessions (hashed tokens)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-29T23:50:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "url access: policies, deployment url keys, share links, ingress sessions"


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
Deployment = _stub("Deployment", "deployments")
ShareLink = _stub("ShareLink", "share_links")


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


TABLES = {
    ("UrlKeys", "deployment_url_keys"): [
        ("deployment", ForeignKey, _fk(Deployment, unique=True)),
        ("password_ciphertext", Text, _params(default="")),
        ("bypass_ciphertext", Text, _params(default="")),
        ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("ShareLink", "share_links"): [
        ("deployment", ForeignKey, _fk(Deployment, index=True)),
        ("token_hash", Varchar, _params(length=64, default="", unique=True)),
        ("created_by", ForeignKey, _fk(User, OnDelete.set_null)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("expires_at", Timestamptz, _params(default=TimestamptzNow())),
        ("revoked_at", Timestamptz, _params(null=True, default=None)),
        ("uses", Integer, _params(default=0)),
    ],
    ("IngressSession", "ingress_sessions"): [
        ("token_hash", Varchar, _params(length=64, default="", unique=True)),
        ("kind", Varchar, _params(length=16, default="")),
        ("deployment", ForeignKey, _fk(Deployment, index=True)),
        ("user", ForeignKey, _fk(User)),
        ("share_link", ForeignKey, _fk(ShareLink)),
        ("expires_at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
    ],
}

NEW_COLUMNS = [
    ("Environment", "environments", "url_access", Varchar, _params(length=16, default="public")),
    ("Project", "projects", "url_access", Varchar, _params(length=16, null=True, default=None)),
]


def _add(manager: MigrationManager, class_name: str, tablename: str, name: str, column, params):
    manager.add_column(
        table_class_name=class_name,
        tablename=tablename,
        column_name=name,
        db_column_name=name,
        column_class_name=column.__name__,
        column_class=column,
        params=params,
        schema=None,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    for (class_name, tablename), _ in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for (class_name, tablename), columns in TABLES.items():
        for name, column_class, params in columns:
            _add(manager, class_name, tablename, name, column_class, params)
    for class_name, tablename, name, column_class, params in NEW_COLUMNS:
        _add(manager, class_name, tablename, name, column_class, params)
    return manager
