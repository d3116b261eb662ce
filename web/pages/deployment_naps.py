"""The Sleep and Wake buttons of a deployment's page (full access; core.services.naps).
A wake its node has no room for comes back to the page with the reason, the deployment still
sleeping."""

from __future__ import annotations

from litestar import Router, post
from litestar.response import Redirect

from core.actor import Actor
from core.errors import AgentUnavailable, CapacityExceeded, Conflict
from core.services import naps
from web import deployment_notices as notices
from web.guards import requires_login
from web.params import IdParam
from web.rendering import redirect


@post("/{deployment_id:int}/sleep")
async def sleep(actor: Actor, deployment_id: IdParam) -> Redirect:
    try:
        dep = await naps.sleep(actor, deployment_id)
    except (Conflict, AgentUnavailable) as exc:
        return redirect(f"/deployments/{deployment_id}", exc.detail, level="error")
    return redirect(
        f"/deployments/{dep.id}",
        f"Putting '{dep.name}' to sleep: its containers stop, its data stays.",
        about=notices.about(dep.id),
    )


@post("/{deployment_id:int}/wake")
async def wake(actor: Actor, deployment_id: IdParam) -> Redirect:
    try:
        dep = await naps.wake(actor, deployment_id)
    except (Conflict, CapacityExceeded, AgentUnavailable) as exc:
        return redirect(f"/deployments/{deployment_id}", exc.detail, level="error")
    return redirect(
        f"/deployments/{dep.id}",
        f"Waking '{dep.name}': it runs again once every service answers.",
        about=notices.about(dep.id),
    )


router = Router(
    path="/deployments",
    route_handlers=[sleep, wake],
    guards=[requires_login],
    include_in_schema=False,
)
