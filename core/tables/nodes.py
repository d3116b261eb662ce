"""Nodes (one agent each) and their recent health samples."""

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

from core.tables.environments import Environment


class Node(Table, tablename="nodes"):
    """(environment, host, port) is unique. The token itself is never stored: only
    `token_hash` and, encrypted, what the control plane needs to prove it knows it."""

    environment = ForeignKey(references=Environment, on_delete=OnDelete.restrict)
    name = Varchar(length=63)
    host = Varchar(length=253)
    port = Integer(default=5000)
    token_hash = Varchar(length=64, default="")
    token_secret_ciphertext = Text(default="")
    thumbprint = Varchar(length=95, default="")
    pending_thumbprint = Varchar(length=95, default="")
    enabled = Boolean(default=True)
    schedulable = Boolean(default=True)
    cpu_reserve = Float(default=0.5)  # sustained host CPU load up to this does not cost room
    cpu_overcommit = Float(default=1.0)  # schedulable CPU = capacity x this
    status = Varchar(length=16, default="offline")
    last_error = Text(default="")
    agent_version = Varchar(length=32, default="")
    protocol_version = Integer(null=True, default=None)
    publish_address = Varchar(length=253, default="")
    capacity = JSONB(default="{}")
    usage = JSONB(default="{}")
    docker_status = Varchar(length=16, default="")
    last_heartbeat_at = Timestamptz(null=True, default=None)
    # What the agent last reported of the catalog's plugin images, by image reference:
    # {"127.0.0.1:5000/seed:1.0": {"name": "seed", "state": "failed", "error": "…", "at": "…"}}
    plugin_images = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class NodeSample(Table, tablename="node_samples"):
    """One heartbeat's numbers, kept for the last hour's chart on the node page."""

    node = ForeignKey(references=Node, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    cpu_used = Float(default=0.0)
    cpu_outside = Float(default=0.0)  # busy cores not used by Shoal's deployments
    memory_used_mb = Integer(default=0)
    cpu_allocated = Float(default=0.0)
    memory_allocated_mb = Integer(default=0)
