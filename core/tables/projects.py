"""Projects: limits per deployment and encrypted secrets. Pipelines live in pipelines.py."""

from piccolo.columns import (
    Float,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User


class Project(Table, tablename="projects"):
    name = Varchar(length=63, unique=True)
    description = Text(default="")
    cpu = Float(default=2.0)
    memory_mb = Integer(default=2048)
    cleanup_hours = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    url_access = Varchar(length=16, null=True, default=None)
    """Overrides the environment's URL access policy; None = the environment's."""
    idle_minutes = Integer(null=True, default=None)
    """Overrides the environment's idle period; None = the environment's, 0 = never sleep."""


class Secret(Table, tablename="secrets"):
    """(project, name) is unique; the value is only ever stored as ciphertext."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade)
    name = Varchar(length=64)
    ciphertext = Text()
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
