"""Deployments and the record of every pipeline run and step that made or removed them."""

from piccolo.columns import (
    JSONB,
    BigInt,
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
from core.tables.environments import Environment
from core.tables.nodes import Node
from core.tables.pipelines import PipelineVersion
from core.tables.projects import Project


class Deployment(Table, tablename="deployments"):
    """A live name is unique per environment (partial index: see the constraints migration).
    `cpu`/`memory_mb` are the project's limits copied at creation: what the node has allocated."""

    project = ForeignKey(references=Project, on_delete=OnDelete.restrict)
    environment = ForeignKey(references=Environment, on_delete=OnDelete.restrict)
    node = ForeignKey(references=Node, on_delete=OnDelete.set_null, null=True)
    pipeline_version = ForeignKey(references=PipelineVersion, on_delete=OnDelete.restrict)
    name = Varchar(length=63)
    status = Varchar(length=32, default="pending", index=True)
    tags = JSONB(default="{}")
    ports = JSONB(default="{}")
    error = Text(default="")
    cpu = Float(default=0.0)
    memory_mb = Integer(default=0)
    request_key = Varchar(length=64, null=True, default=None, unique=True)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    # Idle detection (core.services.idle): the traffic counters last seen and when they last
    # changed; None until first seen.
    last_active_at = Timestamptz(null=True, default=None)
    net_bytes = BigInt(null=True, default=None)
    ingress_requests = BigInt(null=True, default=None)


class PipelineRun(Table, tablename="pipeline_runs"):
    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, index=True)
    action = Varchar(length=16, default="deploy")
    status = Varchar(length=16, default="pending")
    error = Text(default="")
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class PipelineStep(Table, tablename="pipeline_steps"):
    """`outputs` is what a read-level user may see: where an output holds a secret it is masked,
    and the real outputs are in `sealed_outputs` (JSON under the master key; "" = none hidden)."""

    run = ForeignKey(references=PipelineRun, on_delete=OnDelete.cascade, index=True)
    node_id = Varchar(length=63)
    kind = Varchar(length=16)
    status = Varchar(length=16, default="pending")
    outputs = JSONB(default="{}")
    sealed_outputs = Text(default="")
    error = Text(default="")
    log = Text(default="")
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class ServiceSample(Table, tablename="service_samples"):
    """One service's CPU and memory at one heartbeat, kept an hour for the deployment page's
    charts (core.hub.usage_samples writes and trims them)."""

    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, index=True)
    service = Varchar(length=63)  # the pipeline's service node id
    at = Timestamptz(default=TimestamptzNow(), index=True)
    cpu_percent = Float(default=0.0)  # 100 = one full CPU
    memory_mb = Float(default=0.0)
