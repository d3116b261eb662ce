"""Single sign-on: OpenID providers, the identities they vouch for, sign-ins under way, and
which provider groups put a user in which team."""

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.teams import Team


class OidcProvider(Table, tablename="oidc_providers"):
    """One OpenID provider. `source` is 'ui' or 'settings' (litestar.toml, read-only in the UI)."""

    name = Varchar(length=63, unique=True)
    display_name = Varchar(length=64)
    issuer = Varchar(length=512)
    client_id = Varchar(length=256)
    client_secret_ciphertext = Text(default="")
    scopes = Varchar(length=256, default="openid profile email")
    groups_claim = Varchar(length=64, default="groups")
    source = Varchar(length=16, default="ui")
    enabled = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OidcIdentity(Table, tablename="oidc_identities"):
    """(provider, sub) → user; unique per provider and sub (see the migration)."""

    provider = ForeignKey(references=OidcProvider, on_delete=OnDelete.cascade)
    sub = Varchar(length=255)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OidcLogin(Table, tablename="oidc_logins"):
    """A sign-in sent to the provider: found by the SHA-256 of its `state`, used once."""

    state_hash = Varchar(length=64, unique=True)
    provider = ForeignKey(references=OidcProvider, on_delete=OnDelete.cascade)
    nonce = Varchar(length=64)
    code_verifier = Varchar(length=128)
    next_url = Varchar(length=512, default="/")
    link_user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True)
    expires_at = Timestamptz(index=True)


class GroupMapping(Table, tablename="oidc_group_mappings"):
    """Members of the provider's `group` join `team`; or, with `grants_admin`, become admins."""

    provider = ForeignKey(references=OidcProvider, on_delete=OnDelete.cascade, index=True)
    group_name = Varchar(length=255)
    team = ForeignKey(references=Team, on_delete=OnDelete.cascade, null=True)
    grants_admin = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
