"""Environments: a DNS name, an ingress base domain and a default cleanup period."""

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Environment(Table, tablename="environments"):
    name = Varchar(length=63, unique=True)
    description = Text(default="")
    base_domain = Varchar(length=253)
    cleanup_hours = Integer(default=168)
    tls_mode = Varchar(length=16, default="off")
    url_access = Varchar(length=16, default="public")
    """Who may open deployment URLs: public | signed-in | password (docs/ingress.md)."""
    terminals = Boolean(default=True)
    """Whether terminals and one-shot commands may run in its services (docs/terminal.md)."""
    idle_minutes = Integer(null=True, default=None)
    """Idle deployments sleep after this many minutes; None or 0 = never (docs/sleep.md)."""
    created_at = Timestamptz(default=TimestamptzNow())
