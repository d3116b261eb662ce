"""/api/v1/deployments/{id}/sleep and …/wake: put a deployment to sleep or wake it now (full
access; 403 with read access, 404 for one the caller cannot see). Sleep answers at once with
the deployment still `running`: the status becomes `sleeping` once its agent stopped it. Wake
answers `waking` (then `running` once every service answers), 409 when its node has no room
(it stays `sleeping` with that error) and 503 when its node is not reachable."""

from __future__ import annotations

from litestar import Router, post

from core.actor import Actor
from core.services import naps
from core.services.deployments import DeploymentView
from web.guards import requires_login
from web.params import IdParam


@post("/{deployment_id:int}/sleep", status_code=202)
async def sleep(actor: Actor, deployment_id: IdParam) -> DeploymentView:
    return await naps.sleep(actor, deployment_id)


@post("/{deployment_id:int}/wake", status_code=202)
async def wake(actor: Actor, deployment_id: IdParam) -> DeploymentView:
    return await naps.wake(actor, deployment_id)


router = Router(
    path="/deployments", route_handlers=[sleep, wake], guards=[requires_login], tags=["deployments"]
)
