"""The deployment page's "Reset to the seeded state" (full access; core.services.seed_resets):
back to the page with how long it took, or with the reason it was refused."""

from __future__ import annotations

from litestar import Router, post
from litestar.response import Redirect

from core.actor import Actor
from core.errors import AgentUnavailable, Conflict, InvalidInput
from core.services import seed_resets
from web.guards import requires_login
from web.params import IdParam, TextParam
from web.rendering import redirect

# Shown on the page; no access (404) and read access (403) answer as every page does.
REFUSALS = (Conflict, InvalidInput, AgentUnavailable)


@post("/{deployment_id:int}/databases/{step:str}/reset-seed")
async def reset_to_seed(actor: Actor, deployment_id: IdParam, step: TextParam) -> Redirect:
    back = f"/deployments/{deployment_id}#seeded"
    try:
        done = await seed_resets.reset_to_seed(actor, deployment_id, step)
    except REFUSALS as exc:
        return redirect(back, exc.detail, level="error")
    restarted = f"; {', '.join(done.stopped)} restarted" if done.stopped else ""
    return redirect(
        back, f"{step} reset to its seeded state in {done.duration_s:.1f} s{restarted}."
    )


router = Router(
    path="/deployments",
    route_handlers=[reset_to_seed],
    guards=[requires_login],
    include_in_schema=False,
)
