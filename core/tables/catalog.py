"""What pipelines are built from: services (long-running containers) and plugins (steps)."""

from piccolo.columns import (
    JSONB,
    Boolean,
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

from core.tables.registries import Registry


class Service(Table, tablename="services"):
    name = Varchar(length=63, unique=True)
    description = Text(default="")
    registry = ForeignKey(references=Registry, on_delete=OnDelete.restrict)
    image = Varchar(length=256)
    tag_mode = Varchar(length=16, default="pinned")
    tag = Varchar(length=128, default="")
    tag_pattern = Varchar(length=128, default="")
    port = Integer(null=True, default=None)
    env = JSONB(default="{}")
    health_check = JSONB(default="{}")
    command = Text(default="")
    cpu = Float(default=0.5)
    memory_mb = Integer(default=256)
    cap_add = JSONB(default="[]")
    cap_drop = JSONB(default="[]")
    run_as = Varchar(length=64, default="")  # "" = the image's own user
    created_at = Timestamptz(default=TimestamptzNow())


class Plugin(Table, tablename="plugins"):
    """A plugin removed while deployments still run with it is kept for them with `removed_at`
    set, out of the catalog; its name is unique among the others (a partial unique index)."""

    name = Varchar(length=63)
    description = Text(default="")
    registry = ForeignKey(references=Registry, on_delete=OnDelete.restrict)
    image = Varchar(length=256)
    tag = Varchar(length=128)
    param_schema = JSONB(default="{}")
    timeout_s = Integer(default=300)
    cpu = Float(default=0.5)
    memory_mb = Integer(default=256)
    join_network = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    removed_at = Timestamptz(null=True, default=None)
