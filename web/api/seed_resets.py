"""/api/v1 reset of a seeded database to its seeded state (docs/data.md; full access)."""

from __future__ import annotations

from litestar import Router, post

from core.actor import Actor
from core.services import seed_resets
from core.services.checkpoints import DataActionView
from web.guards import requires_login
from web.params import IdParam, TextParam


@post("/{deployment_id:int}/databases/{step:str}/reset-seed", status_code=200)
async def reset_to_seed(actor: Actor, deployment_id: IdParam, step: TextParam) -> DataActionView:
    """Puts the database of plugin step `step` (seeded from a dataset by postgres-restore) back
    as the seed made it: a fresh copy of its dataset's template; the services using it are
    stopped meanwhile and started again; clients still connected are named in `log`."""
    return await seed_resets.reset_to_seed(actor, deployment_id, step)


router = Router(
    path="/deployments",
    route_handlers=[reset_to_seed],
    guards=[requires_login],
    tags=["deployments"],
)
