"""Preview rules (admins): which repository (or image repository) makes previews of which
project in which environment, with which names and tags, for how long, and who may skip
approval. The webhook secret and the forge API token are write-only: no view carries them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
import msgspec

from core import runtime, validation
from core.actor import Actor
from core.domain import pipeline as graphs
from core.domain import previews as rules
from core.domain.tags import check_tag
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.fields import Between, Id, MaxLen, Text
from core.services.audit import Target, audited
from core.services.deployment_inputs import latest_pipeline
from core.tables import Environment, Project, Service, Team
from core.tables.previews import PreviewRule

SOURCES = (*rules.FORGES, "registry")


webhook_secret_context = rules.webhook_secret_context
api_token_context = rules.api_token_context


class RuleInput(msgspec.Struct, kw_only=True):
    environment_id: Id
    forge: Annotated[Text, MaxLen(16)] = "github"
    repository: Annotated[Text, MaxLen(255)] = ""
    registry_repository: Annotated[Text, MaxLen(255)] = ""
    name_template: Annotated[Text, MaxLen(63)] = "pr-{number}"
    tag_templates: dict[Text, Annotated[Text, MaxLen(128)]] = {}
    default_tags: dict[Text, Annotated[Text, MaxLen(128)]] = {}
    ttl_hours: Annotated[int, Between(1, 720)] = 72
    team_id: Id | None = None
    webhook_secret: Annotated[str, MaxLen(256)] | None = None  # None keeps the stored one
    api_base_url: Annotated[Text, MaxLen(512)] = ""
    api_token: Annotated[str, MaxLen(512)] | None = None  # None keeps the stored one
    allowed_authors: list[Annotated[Text, MaxLen(255)]] = []
    allow_forks: bool = False
    enabled: bool = True


class RuleView(msgspec.Struct, kw_only=True):
    id: int
    project_id: int
    environment_id: int
    forge: str
    repository: str
    registry_repository: str
    name_template: str
    tag_templates: dict[str, str]
    default_tags: dict[str, str]
    ttl_hours: int
    team_id: int | None
    has_webhook_secret: bool
    api_base_url: str
    has_api_token: bool
    allowed_authors: list[str]
    allow_forks: bool
    enabled: bool
    created_at: datetime


def view_of(row: dict) -> RuleView:
    return RuleView(
        id=row["id"],
        project_id=row["project"],
        environment_id=row["environment"],
        forge=row["forge"],
        repository=row["repository"],
        registry_repository=row["registry_repository"],
        name_template=row["name_template"],
        tag_templates=row["tag_templates"] or {},
        default_tags=row["default_tags"] or {},
        ttl_hours=row["ttl_hours"],
        team_id=row["team"],
        has_webhook_secret=bool(row["webhook_secret_ciphertext"]),
        api_base_url=row["api_base_url"],
        has_api_token=bool(row["api_token_ciphertext"]),
        allowed_authors=row["allowed_authors"] or [],
        allow_forks=row["allow_forks"],
        enabled=row["enabled"],
        created_at=row["created_at"],
    )


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage preview rules.")


async def rule_row(rule_id: int) -> dict:
    row = (
        await PreviewRule.select()
        .where(PreviewRule.id == rule_id)
        .output(load_json=True)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such preview rule.")
    return row


async def list_rules(project_id: int) -> list[RuleView]:
    rows = (
        await PreviewRule.select()
        .where(PreviewRule.project == project_id)
        .order_by(PreviewRule.id)
        .output(load_json=True)
        .run()
    )
    return [view_of(row) for row in rows]


async def _selectable_services(project_id: int) -> set[str]:
    """Service node ids of the project's latest pipeline whose tag a preview may choose."""
    graph = graphs.decode((await latest_pipeline(project_id))["graph"])
    ids = {n.id: n.config.get("service_id") for n in graph.nodes if n.kind == "service"}
    modes = await Service.select(Service.id, Service.tag_mode).run()
    selectable = {row["id"] for row in modes if row["tag_mode"] == "selectable"}
    return {node_id for node_id, service in ids.items() if service in selectable}


async def _clean(project_id: int, data: RuleInput) -> dict:
    if not await Environment.exists().where(Environment.id == data.environment_id).run():
        raise InvalidInput("No such environment.", "environment_id")
    if data.team_id and not await Team.exists().where(Team.id == data.team_id).run():
        raise InvalidInput("No such team.", "team_id")
    forge = validation.one_of(data.forge, SOURCES, "forge")
    repository = data.repository.strip().strip("/")
    if forge != "registry" and not repository:
        raise InvalidInput("Name the repository, as owner/name.", "repository")
    if forge == "registry" and not data.registry_repository.strip():
        raise InvalidInput("Name the image repository pushes come to.", "registry_repository")
    services = await _selectable_services(project_id)
    for field, named in (
        ("tag_templates", data.tag_templates),
        ("default_tags", data.default_tags),
    ):
        for node_id in named:
            if node_id not in services:
                known = ", ".join(sorted(services)) or "none"
                raise InvalidInput(
                    f"'{node_id}' is not a selectable service of the pipeline (those are: "
                    f"{known}).",
                    f"{field}.{node_id}",
                )
    for node_id, template in data.tag_templates.items():
        rules.check_template(template, f"tag_templates.{node_id}")
        rules.render_tag(
            template,
            rules.PreviewRef(number=1, branch="main", head_sha="0" * 40),
            f"tag_templates.{node_id}",
        )
    defaults = {k: check_tag(v, f"default_tags.{k}") for k, v in data.default_tags.items()}
    missing = services - set(data.tag_templates) - set(defaults)
    if missing:
        raise InvalidInput(
            f"Give a tag template or a default tag for {', '.join(sorted(missing))}.",
            "default_tags",
        )
    rules.render_name(data.name_template, rules.PreviewRef(number=1, branch="main"))
    if not 1 <= data.ttl_hours <= 720:
        raise InvalidInput("Between 1 and 720 hours.", "ttl_hours")
    base = data.api_base_url.strip().rstrip("/")
    if base and not base.startswith(("http://", "https://")):
        raise InvalidInput(
            "An http(s) URL, e.g. https://github.example.com/api/v3.", "api_base_url"
        )
    return {
        PreviewRule.environment: data.environment_id,
        PreviewRule.forge: forge,
        PreviewRule.repository: repository,
        PreviewRule.registry_repository: data.registry_repository.strip(),
        PreviewRule.name_template: data.name_template.strip(),
        PreviewRule.tag_templates: data.tag_templates,
        PreviewRule.default_tags: defaults,
        PreviewRule.ttl_hours: data.ttl_hours,
        PreviewRule.team: data.team_id,
        PreviewRule.api_base_url: base,
        PreviewRule.allowed_authors: sorted({a.strip() for a in data.allowed_authors if a.strip()}),
        PreviewRule.allow_forks: data.allow_forks,
        PreviewRule.enabled: data.enabled,
    }


async def _store_secrets(rule_id: int, data: RuleInput) -> None:
    box, changes = runtime.box(), {}
    if data.webhook_secret:
        sealed = box.encrypt(data.webhook_secret, webhook_secret_context(rule_id))
        changes[PreviewRule.webhook_secret_ciphertext] = sealed
    if data.api_token:
        changes[PreviewRule.api_token_ciphertext] = box.encrypt(
            data.api_token, api_token_context(rule_id)
        )
    if changes:
        await PreviewRule.update(changes).where(PreviewRule.id == rule_id).run()


async def create_rule(actor: Actor, project_id: int, data: RuleInput) -> RuleView:
    target = Target("preview_rule", name=data.repository[:255], project_id=project_id)
    async with audited(actor, "preview_rule.create", target) as audit:
        _admin(actor)
        if not await Project.exists().where(Project.id == project_id).run():
            raise NotFound("No such project.")
        if not data.webhook_secret and data.forge != "registry":
            raise InvalidInput("Set a webhook secret (the forge signs with it).", "webhook_secret")
        values = await _clean(project_id, data)
        async with PreviewRule._meta.db.transaction():
            try:
                row = (
                    await PreviewRule.insert(PreviewRule(project=project_id))
                    .returning(PreviewRule.id)
                    .run()
                )[0]
                await PreviewRule.update(values).where(PreviewRule.id == row["id"]).run()
            except asyncpg.UniqueViolationError as exc:
                raise Conflict(
                    "Another rule already follows this repository.", "repository"
                ) from exc
            await _store_secrets(row["id"], data)
        audit.target = Target(
            "preview_rule", row["id"], values[PreviewRule.repository], project_id=project_id
        )
        audit.detail = f"{data.forge} → environment {data.environment_id}"
    return view_of(await rule_row(row["id"]))


async def update_rule(actor: Actor, rule_id: int, data: RuleInput) -> RuleView:
    async with audited(actor, "preview_rule.update", Target("preview_rule", rule_id)) as audit:
        _admin(actor)
        old = await rule_row(rule_id)
        audit.target = Target("preview_rule", rule_id, old["repository"], project_id=old["project"])
        values = await _clean(old["project"], data)
        try:
            await PreviewRule.update(values).where(PreviewRule.id == rule_id).run()
        except asyncpg.UniqueViolationError as exc:
            raise Conflict("Another rule already follows this repository.", "repository") from exc
        await _store_secrets(rule_id, data)
        audit.detail = "secret replaced" if data.webhook_secret or data.api_token else ""
    return view_of(await rule_row(rule_id))


async def delete_rule(actor: Actor, rule_id: int) -> None:
    """Its previews' deployments stay until they expire or are deleted by hand."""
    async with audited(actor, "preview_rule.delete", Target("preview_rule", rule_id)) as audit:
        _admin(actor)
        old = await rule_row(rule_id)
        audit.target = Target("preview_rule", rule_id, old["repository"], project_id=old["project"])
        await PreviewRule.delete().where(PreviewRule.id == rule_id).run()


def webhook_secret(row: dict) -> str:
    sealed = row["webhook_secret_ciphertext"]
    return runtime.box().decrypt(sealed, webhook_secret_context(row["id"])) if sealed else ""


def api_token(row: dict) -> str:
    sealed = row["api_token_ciphertext"]
    return runtime.box().decrypt(sealed, api_token_context(row["id"])) if sealed else ""


async def rules_for_repository(forge: str, repository: str) -> list[dict]:
    """The enabled rules following a forge repository (case-insensitive, as forges are)."""
    rows = (
        await PreviewRule.select()
        .where((PreviewRule.forge == forge) & PreviewRule.enabled.eq(True))
        .output(load_json=True)
        .run()
    )
    return [row for row in rows if row["repository"].lower() == repository.lower()]
