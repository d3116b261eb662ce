"""The whole kept stderr of one plugin step, as plain text (the deployment page shows its end)."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import Parameter
from litestar.response import Response

from core.actor import Actor
from core.services import step_log_reads
from web.guards import requires_login

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
NodeId = Annotated[str, Parameter(min_length=1, max_length=63, pattern=r"^[a-z0-9-]+$")]


@get("/{deployment_id:int}/runs/{run_id:int}/steps/{node_id:str}/log")
async def step_log(actor: Actor, deployment_id: Id, run_id: Id, node_id: NodeId) -> Response:
    text = await step_log_reads.step_log(actor, deployment_id, run_id, node_id)
    return Response(
        text or "(this step wrote nothing on stderr)",
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


router = Router(
    path="/deployments",
    route_handlers=[step_log],
    guards=[requires_login],
    include_in_schema=False,
)
