"""The audit log: who changed what, when, on which target, and how it ended."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User


class AuditEvent(Table, tablename="audit_events"):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    actor_name = Varchar(length=64)
    action = Varchar(length=64)
    target_type = Varchar(length=32)
    target_id = Integer(null=True, default=None)
    target_name = Varchar(length=256, default="")
    outcome = Varchar(length=16, default="ok")
    detail = Text(default="")
    project_id = Integer(null=True, default=None, index=True)
    environment_id = Integer(null=True, default=None, index=True)
