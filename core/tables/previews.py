"""Previews: rules that turn pull requests (or registry pushes) into deployments, the previews
they made, and every webhook delivery received (DESIGN §9). Rules live in core.services.previews.

Secrets (the webhook secret, the forge API token) are stored only as ciphertext under the
master key (core.crypto), bound to the rule's id. A delivery row never holds a secret: the
forge payload itself carries none, and signature headers are not kept.
"""

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tables.deployments import Deployment
from core.tables.environments import Environment
from core.tables.projects import Project
from core.tables.teams import Team


class PreviewRule(Table, tablename="preview_rules"):
    """(forge, repository) is unique among rules that name a repository."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, index=True)
    environment = ForeignKey(references=Environment, on_delete=OnDelete.cascade)
    forge = Varchar(length=16, default="github")  # github | gitlab | gitea | registry
    repository = Varchar(length=255, default="")  # owner/name (GitLab: group/sub/name)
    registry_repository = Varchar(length=255, default="")  # image repository pushes match
    name_template = Varchar(length=63, default="pr-{number}")
    tag_templates = JSONB(default="{}")  # service node id → template such as "pr-{number}"
    default_tags = JSONB(default="{}")  # service node id → tag for services not templated
    ttl_hours = Integer(default=72)
    team = ForeignKey(references=Team, on_delete=OnDelete.set_null, null=True)
    webhook_secret_ciphertext = Text(default="")
    api_base_url = Varchar(length=512, default="")  # "" = the forge's public API
    api_token_ciphertext = Text(default="")
    allowed_authors = JSONB(default="[]")  # logins whose PRs deploy without approval
    allow_forks = Boolean(default=False)  # PRs from forks deploy without approval
    enabled = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Preview(Table, tablename="previews"):
    """One pull request (or pushed tag) of one rule; (rule, number) is unique.

    `generation` counts what was asked (every event bumps it); `applied_generation` is the one
    the current deployment was made from, so a late job for an older push does nothing."""

    rule = ForeignKey(references=PreviewRule, on_delete=OnDelete.cascade)
    number = Integer()
    title = Varchar(length=255, default="")
    url = Varchar(length=1024, default="")  # the pull request's page
    branch = Varchar(length=255, default="")
    author = Varchar(length=255, default="")
    head_sha = Varchar(length=64, default="")
    source_repository = Varchar(length=255, default="")
    is_fork = Boolean(default=False)
    state = Varchar(length=16, default="open")  # open | closed
    approval = Varchar(length=16, default="not_needed")  # not_needed|pending|approved|rejected
    approved_by = Varchar(length=64, default="")
    tags = JSONB(default="{}")  # the rendered tags of the latest event
    generation = Integer(default=1)
    applied_generation = Integer(default=0)
    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.set_null, null=True)
    comment_id = Varchar(length=64, default="")  # the forge comment edited in place
    report_error = Text(default="")  # why the last report back failed ("" = it worked)
    error = Text(default="")  # why the preview could not be made (bad template, …)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table, tablename="webhook_deliveries"):
    """(source, delivery_id) is unique: the same delivery twice does the work once."""

    source = Varchar(length=16)  # github | gitlab | gitea | registry | …
    delivery_id = Varchar(length=128)
    event = Varchar(length=64, default="")
    action = Varchar(length=64, default="")
    rule = ForeignKey(references=PreviewRule, on_delete=OnDelete.set_null, null=True, index=True)
    number = Integer(null=True, default=None)
    deployment = ForeignKey(references=Deployment, on_delete=OnDelete.set_null, null=True)
    outcome = Varchar(length=255, default="")
    payload = Text(default="")  # the verified body, kept for "redeliver"
    payload_size = Integer(default=0)
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
