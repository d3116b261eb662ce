"""POST /api/v1/deployments/{id}/services/{node}/exec: a one-shot command in a running
service, for CI scripts that seed data or read a value (core.services.execs). Full access
only (403 with read access, 404 without); a deployment not running answers 409."""

from __future__ import annotations

from litestar import Router, post

from core.actor import Actor
from core.services import execs
from core.services.execs import ExecInput, ExecView
from web.guards import requires_login
from web.params import IdParam, TextParam


@post("/{deployment_id:int}/services/{service:str}/exec", status_code=200)
async def run_exec(
    actor: Actor, deployment_id: IdParam, service: TextParam, data: ExecInput
) -> ExecView:
    """Runs `command` in the service's container (no TTY) and answers when it ends: exit code,
    stdout and stderr (1 MiB each at most, `…_truncated` says when more was dropped), each as
    text when it is UTF-8 and base64 otherwise (`…_encoding`)."""
    return await execs.run_exec(actor, deployment_id, service, data)


router = Router(
    path="/deployments",
    route_handlers=[run_exec],
    guards=[requires_login],
    tags=["deployments"],
)
