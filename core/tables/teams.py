"""Teams, who is in them, and what they may reach (grants on projects or environments)."""

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.environments import Environment
from core.tables.projects import Project


class Team(Table, tablename="teams"):
    name = Varchar(length=64, unique=True)
    description = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Membership(Table, tablename="memberships"):
    """(team, user) is unique: see the constraints migration."""

    team = ForeignKey(references=Team, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    # Set when a provider's group mapping made this membership: the next sign-in may remove it.
    provider = ForeignKey(
        references=LazyTableReference("OidcProvider", module_path="core.tables.sso"),
        on_delete=OnDelete.cascade,
        null=True,
    )


class Grant(Table, tablename="grants"):
    """`level` ('read' | 'full') for a team on exactly one project or one environment."""

    team = ForeignKey(references=Team, on_delete=OnDelete.cascade)
    target = Varchar(length=16)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=True)
    environment = ForeignKey(references=Environment, on_delete=OnDelete.cascade, null=True)
    level = Varchar(length=8)
    created_at = Timestamptz(default=TimestamptzNow())
