"""The project's Previews tab: its preview rules (admins add and remove them), open previews
with Approve / Reject on those waiting (full access), and the latest webhook deliveries with
their outcome and a Redeliver button (admins). docs/previews.md says what each field does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.access import Level
from core.errors import InvalidInput
from core.services import access, environments, preview_rules, previews, projects, teams, webhooks
from web.forms import keep_except, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_int, page, redirect

SECRET_FIELDS = ("webhook_secret", "api_token")  # never echoed back into a re-rendered form


def _pairs(text: str, field: str) -> dict[str, str]:
    """`web=pr-{number}` lines (or commas) → {"web": "pr-{number}"}."""
    pairs = {}
    for item in text.replace(",", "\n").splitlines():
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"Write one 'service=tag' per line, not '{item.strip()}'.", field)
        pairs[key.strip()] = value.strip()
    return pairs


def rule_input(data: dict[str, str]) -> preview_rules.RuleInput:
    return preview_rules.RuleInput(
        environment_id=as_int(data.get("environment_id"), 0) or 0,
        forge=data.get("forge", "github"),
        repository=data.get("repository", ""),
        registry_repository=data.get("registry_repository", ""),
        name_template=data.get("name_template") or "pr-{number}",
        tag_templates=_pairs(data.get("tag_templates", ""), "tag_templates"),
        default_tags=_pairs(data.get("default_tags", ""), "default_tags"),
        ttl_hours=as_int(data.get("ttl_hours"), 72) or 0,
        team_id=as_int(data.get("team_id")) or None,
        webhook_secret=data.get("webhook_secret") or None,
        api_base_url=data.get("api_base_url", ""),
        api_token=data.get("api_token") or None,
        allowed_authors=[a for a in data.get("allowed_authors", "").replace(",", " ").split() if a],
        allow_forks=data.get("allow_forks") == "on",
    )


async def _context(actor: Actor, project_id: int) -> dict[str, Any]:
    acl = await access.access_for(actor)
    if not acl.can_see_project(project_id):
        raise NotFoundException("No such project.")
    envs = await environments.list_environments(None if acl.is_admin else set(acl.environments))
    listed = await previews.previews_of_project(project_id)
    rules = await preview_rules.list_rules(project_id)
    env_of = {rule.id: rule.environment_id for rule in rules}
    return {
        "project": await projects.get_project(project_id),
        "rules": rules,
        "previews": listed,
        # Approve / Reject only for those with full access where the preview deploys.
        "may_decide": {
            p.id: acl.deployment_level(project_id, env_of.get(p.rule_id, 0)) >= Level.FULL
            for p in listed
        },
        "deliveries": await webhooks.deliveries_of_project(project_id),
        "environments": envs,
        "env_names": {env.id: env.name for env in envs},
        "all_teams": await teams.list_teams() if actor.is_admin else [],
    }


async def _drawn(request: Request, template: str, **context: Any) -> Template:
    return page(request, template, **context)


@get("/")
async def index(request: Request, actor: Actor, project_id: IdParam) -> Template:
    return page(request, "projects/previews.html", **await _context(actor, project_id))


@post("/rules")
async def create_rule(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    context = await _context(actor, project_id)  # an invisible project: a 404 before anything
    return await submit(
        request,
        lambda data: preview_rules.create_rule(actor, project_id, rule_input(data)),
        done=lambda rule: redirect(
            f"/projects/{project_id}/previews",
            f"Preview rule for {rule.repository or rule.registry_repository} added.",
        ),
        redraw=partial(_drawn, request, "projects/previews.html", **context),
        kept=keep_except(*SECRET_FIELDS),
    )


def rule_form(rule: preview_rules.RuleView) -> dict[str, str]:
    """A stored rule as the form shows it (secrets never: empty keeps them)."""
    return {
        "environment_id": str(rule.environment_id),
        "forge": rule.forge,
        "repository": rule.repository,
        "registry_repository": rule.registry_repository,
        "name_template": rule.name_template,
        "tag_templates": "\n".join(f"{k}={v}" for k, v in rule.tag_templates.items()),
        "default_tags": "\n".join(f"{k}={v}" for k, v in rule.default_tags.items()),
        "ttl_hours": str(rule.ttl_hours),
        "team_id": str(rule.team_id or ""),
        "api_base_url": rule.api_base_url,
        "allowed_authors": " ".join(rule.allowed_authors),
        "allow_forks": "on" if rule.allow_forks else "",
    }


async def _rule_of(project_id: int, rule_id: int) -> preview_rules.RuleView:
    rule = preview_rules.view_of(await preview_rules.rule_row(rule_id))
    if rule.project_id != project_id:
        raise NotFoundException("No such preview rule.")
    return rule


@get("/rules/{rule_id:int}")
async def edit_rule(
    request: Request, actor: Actor, project_id: IdParam, rule_id: IdParam
) -> Template:
    context = await _context(actor, project_id)
    rule = await _rule_of(project_id, rule_id)
    return page(request, "projects/preview_rule.html", rule=rule, form=rule_form(rule), **context)


@post("/rules/{rule_id:int}")
async def update_rule(
    request: Request, actor: Actor, project_id: IdParam, rule_id: IdParam
) -> Template | Redirect:
    context = await _context(actor, project_id)
    rule = await _rule_of(project_id, rule_id)
    return await submit(
        request,
        lambda data: preview_rules.update_rule(actor, rule_id, rule_input(data)),
        done=lambda _: redirect(f"/projects/{project_id}/previews", "Preview rule saved."),
        redraw=partial(_drawn, request, "projects/preview_rule.html", rule=rule, **context),
        kept=keep_except(*SECRET_FIELDS),
    )


@post("/rules/{rule_id:int}/delete")
async def delete_rule(actor: Actor, project_id: IdParam, rule_id: IdParam) -> Redirect:
    await _context(actor, project_id)
    await _rule_of(project_id, rule_id)
    await preview_rules.delete_rule(actor, rule_id)
    return redirect(f"/projects/{project_id}/previews", "Preview rule removed.")


async def _decide(actor: Actor, project_id: int, preview_id: int, approve: bool) -> Redirect:
    await _context(actor, project_id)
    row = await previews.preview_row(preview_id)
    if (await preview_rules.rule_row(row["rule"]))["project"] != project_id:
        raise NotFoundException("No such preview.")
    if approve:
        await previews.approve(actor, preview_id)
        message = f"PR #{row['number']} approved: it deploys now."
    else:
        await previews.reject(actor, preview_id)
        message = f"PR #{row['number']} rejected."
    return redirect(f"/projects/{project_id}/previews", message)


@post("/{preview_id:int}/approve")
async def approve(actor: Actor, project_id: IdParam, preview_id: IdParam) -> Redirect:
    return await _decide(actor, project_id, preview_id, True)


@post("/{preview_id:int}/reject")
async def reject(actor: Actor, project_id: IdParam, preview_id: IdParam) -> Redirect:
    return await _decide(actor, project_id, preview_id, False)


@post("/deliveries/{delivery_id:int}/redeliver")
async def redeliver(actor: Actor, project_id: IdParam, delivery_id: IdParam) -> Redirect:
    await _context(actor, project_id)
    done = await webhooks.redeliver(actor, delivery_id)
    return redirect(f"/projects/{project_id}/previews", f"Redelivered: {done.outcome}")


router = Router(
    path="/projects/{project_id:int}/previews",
    route_handlers=[
        index,
        create_rule,
        edit_rule,
        update_rule,
        delete_rule,
        approve,
        reject,
        redeliver,
    ],
    guards=[requires_login],
)
