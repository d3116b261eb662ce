"""Checkpoints of a deployment's databases (issue 24): the name, who saved it and when; the
copy itself lives in the deployment's database server, made by its plugin's data action."""

from piccolo.columns import BigInt, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.deployments import Deployment


class Checkpoint(Table, tablename="data_checkpoints"):
    """Unique per (deployment, step, name) (an index the migration adds)."""

    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, index=True)
    step = Varchar(length=64)  # the plugin node whose database it is
    name = Varchar(length=100)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_by_name = Varchar(length=150, default="")  # also for Shoal itself, or a removed user
    created_at = Timestamptz(default=TimestamptzNow())
    size_bytes = BigInt(default=0)
