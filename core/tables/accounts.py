"""People and how they prove who they are: users, browser sessions, API tokens, login failures."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="users"):
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=128, default="")
    email = Varchar(length=254, default="")
    password_hash = Varchar(length=256)
    is_admin = Boolean(default=False)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Admin because a provider group said so: the next sign-in without that group removes it.
    admin_from_sso = Boolean(default=False)


class Session(Table, tablename="sessions"):
    """A browser login. Only the SHA-256 of the cookie value is stored."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    address = Varchar(length=64, default="")
    # The OpenID provider's name when the session began there (sign-out offers its logout).
    provider = Varchar(length=63, default="")


class ApiToken(Table, tablename="api_tokens"):
    """A personal API token (`Authorization: Bearer …`); shown once, stored as SHA-256."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    name = Varchar(length=64)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginFailure(Table, tablename="login_failures"):
    """One failed login, counted per username and per client address for throttling."""

    username = Varchar(length=64, index=True)
    address = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
