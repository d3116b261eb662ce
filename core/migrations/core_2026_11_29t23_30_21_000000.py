"""Single sign-on with OpenID Connect: providers, the identities they vouch for (provider,
sub → user), sign-ins under way (state, nonce, PKCE verifier; used once), group → team
mappings; memberships and admin rights that came from a provider are marked so the next
sign-in can take them back; a session remembers the provider it began at. The next
migration adds the unique indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Boolean,
    ForeignKey,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-29T23:30:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "oidc providers, identities, logins, group mappings; sso marks on users, memberships"


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
Team = _stub("Team", "teams")
OidcProvider = _stub("OidcProvider", "oidc_providers")


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
    return _params(
        references=table,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=True,
        **extra,
    )


TABLES = {
    ("OidcProvider", "oidc_providers"): [
        ("name", Varchar, _params(length=63, default="", unique=True)),
        ("display_name", Varchar, _params(length=64, default="")),
        ("issuer", Varchar, _params(length=512, default="")),
        ("client_id", Varchar, _params(length=256, default="")),
        ("client_secret_ciphertext", Text, _params(default="")),
        ("scopes", Varchar, _params(length=256, default="openid profile email")),
        ("groups_claim", Varchar, _params(length=64, default="groups")),
        ("source", Varchar, _params(length=16, default="ui")),
        ("enabled", Boolean, _params(default=True)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("OidcIdentity", "oidc_identities"): [
        ("provider", ForeignKey, _fk(OidcProvider)),
        ("sub", Varchar, _params(length=255, default="")),
        ("user", ForeignKey, _fk(User, index=True)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("OidcLogin", "oidc_logins"): [
        ("state_hash", Varchar, _params(length=64, default="", unique=True)),
        ("provider", ForeignKey, _fk(OidcProvider)),
        ("nonce", Varchar, _params(length=64, default="")),
        ("code_verifier", Varchar, _params(length=128, default="")),
        ("next_url", Varchar, _params(length=512, default="/")),
        ("link_user", ForeignKey, _fk(User)),
        ("expires_at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
    ],
    ("GroupMapping", "oidc_group_mappings"): [
        ("provider", ForeignKey, _fk(OidcProvider, index=True)),
        ("group_name", Varchar, _params(length=255, default="")),
        ("team", ForeignKey, _fk(Team)),
        ("grants_admin", Boolean, _params(default=False)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
}

NEW_COLUMNS = [
    ("User", "users", "admin_from_sso", Boolean, _params(default=False)),
    ("Session", "sessions", "provider", Varchar, _params(length=63, default="")),
    ("Membership", "memberships", "provider", ForeignKey, _fk(OidcProvider)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    for (class_name, tablename), _ in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for (class_name, tablename), columns in TABLES.items():
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    for class_name, tablename, name, column_class, params in NEW_COLUMNS:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
