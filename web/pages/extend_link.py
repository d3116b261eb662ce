"""The "extend" link in expiry warnings: one click (after signing in, which brings the user
back here) extends the deployment for a user with full access. The link names the expiry it
was sent for, so it works once: after an extension a newer warning brings a newer link."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Redirect

from core.actor import Actor
from core.errors import Conflict
from core.notifications import expiring
from web.guards import requires_login
from web.params import IdParam
from web.rendering import redirect


@get("/{token:str}")
async def extend_from_message(actor: Actor, deployment_id: IdParam, token: str) -> Redirect:
    try:
        view = await expiring.extend_by_link(actor, deployment_id, token)
    except Conflict as exc:
        return redirect(f"/deployments/{deployment_id}", exc.detail, level="error")
    until = f"{view.expires_at:%Y-%m-%d %H:%M} UTC" if view.expires_at else "later"
    return redirect(f"/deployments/{deployment_id}", f"Extended until {until}.")


router = Router(
    path="/deployments/{deployment_id:int}/extend-link",
    route_handlers=[extend_from_message],
    guards=[requires_login],
    include_in_schema=False,
)
