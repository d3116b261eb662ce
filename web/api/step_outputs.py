"""/api/v1/deployments/{id}/steps: the latest run's steps with their outputs as a read-level
user may see them (values that hold a secret masked, `hidden` set), and `…/steps/{node}/reveal`
for the real outputs: full access only, audited (which step, never a value)."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import Parameter

from core.actor import Actor
from core.services import deployment_history, deployments
from core.services.deployment_history import RevealedOutputs, StepView
from web.guards import requires_login

DeploymentId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
NodeId = Annotated[str, Parameter(min_length=1, max_length=63, pattern=r"^[a-z0-9-]+$")]


@get("/{deployment_id:int}/steps")
async def list_steps(actor: Actor, deployment_id: DeploymentId) -> list[StepView]:
    await deployments.get_deployment(actor, deployment_id)
    run = await deployment_history.latest_run(deployment_id)
    return run.steps if run else []


@post(
    "/{deployment_id:int}/steps/{node_id:str}/reveal",
    status_code=200,
    cache_control=CacheControlHeader(no_store=True),  # a revealed secret is kept nowhere
)
async def reveal(actor: Actor, deployment_id: DeploymentId, node_id: NodeId) -> RevealedOutputs:
    return await deployment_history.reveal_outputs(actor, deployment_id, node_id)


router = Router(
    path="/deployments",
    route_handlers=[list_steps, reveal],
    guards=[requires_login],
    tags=["deployments"],
)
