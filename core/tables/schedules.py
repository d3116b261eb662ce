"""Schedules of a project or an environment (issue 20): office hours (their deployments sleep
outside them) and nightly deployments made by a cron expression. Rules live in
core.domain.schedules."""

from piccolo.columns import JSONB, Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.environments import Environment
from core.tables.projects import Project


class Schedule(Table, tablename="schedules"):
    """`kind` is office_hours (days, start_time, end_time) or nightly (cron, environment,
    deployment_name, tag_patterns); both read their times in `time_zone`.

    Owner: `project`, or for office hours of a whole environment no project and `environment`
    (a nightly schedule has both: its project and the environment it deploys to). The
    constraint schedules_one_owner holds it.

    `last_run_at` is the scheduled instant of the last nightly run: the job moves it with a
    compare-and-set, so two job runs for the same instant make one deployment."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True, null=True)
    kind = Varchar(length=16, default="office_hours")
    time_zone = Varchar(length=64, default="UTC")
    days = JSONB(default="[0, 1, 2, 3, 4]")  # 0 = Monday
    start_time = Varchar(length=5, default="08:00")  # HH:MM, local
    end_time = Varchar(length=5, default="19:00")
    cron = Varchar(length=120, default="")
    environment = ForeignKey(references=Environment, on_delete=OnDelete.cascade, null=True)
    deployment_name = Varchar(length=63, default="nightly")
    tag_patterns = JSONB(default="{}")  # service node id → glob such as "v*"
    enabled = Boolean(default=True)
    last_run_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
