"""HTMX: reveal the real outputs of one step on the deployment page (full access, audited)."""

from __future__ import annotations

from litestar import Request, Router, post
from litestar.datastructures import CacheControlHeader
from litestar.response import Template

from core.actor import Actor
from core.services import deployment_history
from web.guards import requires_login
from web.params import IdParam
from web.rendering import page


@post(
    "/{deployment_id:int}/steps/{node_id:str}/reveal",
    cache_control=CacheControlHeader(no_store=True),  # a revealed secret is kept nowhere
)
async def reveal(request: Request, actor: Actor, deployment_id: IdParam, node_id: str) -> Template:
    revealed = await deployment_history.reveal_outputs(actor, deployment_id, node_id)
    return page(request, "partials/deployments/step_outputs.html", revealed=revealed)


router = Router(
    path="/deployments",
    route_handlers=[reveal],
    guards=[requires_login],
    include_in_schema=False,
)
