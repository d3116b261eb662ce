"""/api/v1 preview rules, previews and webhook deliveries (docs/previews.md).

Rules and deliveries: whoever sees the project may list them (no secret is ever in a view);
admins create, change, delete and redeliver. Approve / Reject a pending preview: full access
to the deployments of its project and environment.
"""

from __future__ import annotations

from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import preview_rules, previews, webhooks
from core.services.preview_rules import RuleInput, RuleView
from core.services.previews import PreviewView
from core.services.projects import ProjectView
from core.services.webhooks import DeliveryView
from web.guards import requires_login
from web.params import IdParam


@get("/projects/{project_id:int}/preview-rules")
async def list_rules(project_id: IdParam, visible_project: ProjectView) -> list[RuleView]:
    return await preview_rules.list_rules(project_id)


@post("/projects/{project_id:int}/preview-rules")
async def create_rule(
    actor: Actor, project_id: IdParam, data: RuleInput, visible_project: ProjectView
) -> RuleView:
    """`webhook_secret` and `api_token` are write-only: views say only whether one is set."""
    return await preview_rules.create_rule(actor, project_id, data)


@put("/preview-rules/{rule_id:int}")
async def update_rule(actor: Actor, rule_id: IdParam, data: RuleInput) -> RuleView:
    """A secret or token left out (null) keeps the stored one."""
    return await preview_rules.update_rule(actor, rule_id, data)


@delete("/preview-rules/{rule_id:int}")
async def delete_rule(actor: Actor, rule_id: IdParam) -> None:
    await preview_rules.delete_rule(actor, rule_id)


@get("/projects/{project_id:int}/previews")
async def list_previews(project_id: IdParam, visible_project: ProjectView) -> list[PreviewView]:
    return await previews.previews_of_project(project_id)


@post("/previews/{preview_id:int}/approve", status_code=200)
async def approve_preview(actor: Actor, preview_id: IdParam) -> PreviewView:
    """Let an outsider's pull request deploy (this commit; a new push waits again)."""
    return await previews.approve(actor, preview_id)


@post("/previews/{preview_id:int}/reject", status_code=200)
async def reject_preview(actor: Actor, preview_id: IdParam) -> PreviewView:
    return await previews.reject(actor, preview_id)


@get("/projects/{project_id:int}/webhook-deliveries")
async def list_deliveries(project_id: IdParam, visible_project: ProjectView) -> list[DeliveryView]:
    """The latest deliveries to the project's rules, newest first, with their outcome."""
    return await webhooks.deliveries_of_project(project_id)


@post("/webhook-deliveries/{delivery_id:int}/redeliver", status_code=200)
async def redeliver(actor: Actor, delivery_id: IdParam) -> DeliveryView:
    return await webhooks.redeliver(actor, delivery_id)


router = Router(
    path="/",
    route_handlers=[
        list_rules,
        create_rule,
        update_rule,
        delete_rule,
        list_previews,
        approve_preview,
        reject_preview,
        list_deliveries,
        redeliver,
    ],
    guards=[requires_login],
    tags=["previews"],
)
