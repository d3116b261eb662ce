"""Previews (issue 17): preview rules per project, the previews they made, and every webhook
delivery received. Unique indexes are in the next migration (raw SQL runs before columns).
A deployment's status grows to 32 characters: `awaiting_approval` and `waiting_for_image`
(the lifecycle's states for previews) are 17."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-29T23:10:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "preview_rules, previews, webhook_deliveries; deployments.status 32 long"


def _stub(class_name: str, tablename: str) -> type[Table]:
    """A referenced table as the migration sees it: its id only."""
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
Team = _stub("Team", "teams")
Deployment = _stub("Deployment", "deployments")
PreviewRule = _stub("PreviewRule", "preview_rules")


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


def _fk(references: type[Table], on_delete: OnDelete, **values: object) -> tuple:
    return (
        ForeignKey,
        _params(
            references=references,
            on_delete=on_delete,
            on_update=OnUpdate.cascade,
            target_column=None,
            null=True,
            **values,
        ),
    )


def _text(length: int | None = None, default: str = "") -> tuple:
    if length is None:
        return (Text, _params(default=default))
    return (Varchar, _params(length=length, default=default))


NOW = (Timestamptz, _params(default=TimestamptzNow()))

TABLES = {
    ("PreviewRule", "preview_rules"): [
        ("project", *_fk(Project, OnDelete.cascade, index=True)),
        ("environment", *_fk(Environment, OnDelete.cascade)),
        ("forge", *_text(16, "github")),
        ("repository", *_text(255)),
        ("registry_repository", *_text(255)),
        ("name_template", *_text(63, "pr-{number}")),
        ("tag_templates", JSONB, _params(default="{}")),
        ("default_tags", JSONB, _params(default="{}")),
        ("ttl_hours", Integer, _params(default=72)),
        ("team", *_fk(Team, OnDelete.set_null)),
        ("webhook_secret_ciphertext", *_text()),
        ("api_base_url", *_text(512)),
        ("api_token_ciphertext", *_text()),
        ("allowed_authors", JSONB, _params(default="[]")),
        ("allow_forks", Boolean, _params(default=False)),
        ("enabled", Boolean, _params(default=True)),
        ("created_at", *NOW),
    ],
    ("Preview", "previews"): [
        ("rule", *_fk(PreviewRule, OnDelete.cascade)),
        ("number", Integer, _params(default=0)),
        ("title", *_text(255)),
        ("url", *_text(1024)),
        ("branch", *_text(255)),
        ("author", *_text(255)),
        ("head_sha", *_text(64)),
        ("source_repository", *_text(255)),
        ("is_fork", Boolean, _params(default=False)),
        ("state", *_text(16, "open")),
        ("approval", *_text(16, "not_needed")),
        ("approved_by", *_text(64)),
        ("tags", JSONB, _params(default="{}")),
        ("generation", Integer, _params(default=1)),
        ("applied_generation", Integer, _params(default=0)),
        ("deployment", *_fk(Deployment, OnDelete.set_null)),
        ("comment_id", *_text(64)),
        ("report_error", *_text()),
        ("error", *_text()),
        ("created_at", *NOW),
        ("updated_at", *NOW),
    ],
    ("WebhookDelivery", "webhook_deliveries"): [
        ("source", *_text(16)),
        ("delivery_id", *_text(128)),
        ("event", *_text(64)),
        ("action", *_text(64)),
        ("rule", *_fk(PreviewRule, OnDelete.set_null, index=True)),
        ("number", Integer, _params(default=None, null=True)),
        ("deployment", *_fk(Deployment, OnDelete.set_null)),
        ("outcome", *_text(255)),
        ("payload", *_text()),
        ("payload_size", Integer, _params(default=0)),
        ("received_at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
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
    manager.alter_column(
        table_class_name="Deployment",
        tablename="deployments",
        column_name="status",
        db_column_name="status",
        params={"length": 32},
        old_params={"length": 16},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
