"""Who may open a deployment's URLs: its password and bypass token (encrypted, shown to full
access), share links (stored hashed), and ingress sessions: the host-scoped cookie Caddy's
forward_auth asks about, and the one-time codes exchanged for it (both stored hashed)."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.accounts import User
from core.tables.deployments import Deployment


class UrlKeys(Table, tablename="deployment_url_keys"):
    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, unique=True)
    password_ciphertext = Text(default="")
    bypass_ciphertext = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class ShareLink(Table, tablename="share_links"):
    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    uses = Integer(default=0)


class IngressSession(Table, tablename="ingress_sessions"):
    """kind: `code` (one-time, exchanged on the deployment's host), `user`, `share`,
    `password`. A session opens only its own deployment's hosts."""

    token_hash = Varchar(length=64, unique=True)
    kind = Varchar(length=16)
    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True)
    share_link = ForeignKey(references=ShareLink, on_delete=OnDelete.cascade, null=True)
    expires_at = Timestamptz(default=TimestamptzNow(), index=True)
