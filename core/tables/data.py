"""Data of deployments (issue 24). Checkpoints of a deployment's databases: the name, who saved
it and when; the copy itself lives in the deployment's database server, made by its plugin's
data action. Datasets: dumps a project's pipelines seed databases from; the file lives under
the data dir by its sha256 (core.services.dataset_files)."""

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.deployments import Deployment
from core.tables.projects import Project


class Checkpoint(Table, tablename="data_checkpoints"):
    """Unique per (deployment, step, name) (an index the migration adds)."""

    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, index=True)
    step = Varchar(length=64)  # the plugin node whose database it is
    name = Varchar(length=100)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_by_name = Varchar(length=150, default="")  # also for Shoal itself, or a removed user
    created_at = Timestamptz(default=TimestamptzNow())
    size_bytes = BigInt(default=0)


class Dataset(Table, tablename="datasets"):
    """One version of a named dataset of a project; unique per (project, name, version) (an
    index the migration adds). The newest version is the one deployments get."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=63)
    version = Integer(default=1)
    sha256 = Varchar(length=64, index=True)
    size_bytes = BigInt(default=0)
    format = Varchar(length=8, default="custom")  # custom | plain (pg_dump -Fc | -Fp)
    source = Varchar(length=2000, default="upload")  # "upload" or the URL it was fetched from
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_by_name = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
