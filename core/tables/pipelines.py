"""Immutable pipeline versions: every save of a project's pipeline is a new row."""

from piccolo.columns import JSONB, ForeignKey, Integer, OnDelete, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.projects import Project


class PipelineVersion(Table, tablename="pipeline_versions"):
    """(project, version) is unique. `graph` = {nodes, edges, layout} with plugin tags frozen."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade)
    version = Integer()
    graph = JSONB(default="{}")
    message = Text(default="")
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
