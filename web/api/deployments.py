"""/api/v1/deployments: create at once (201 + events URL), read, extend, clone, retry, delete,
and follow events or logs as server-sent events. CI systems create one per pull request."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.params import Parameter
from litestar.response import ServerSentEvent

from core.actor import Actor
from core.domain.access import Level
from core.fields import MaxLen, Text
from core.services import deployment_actions as actions
from core.services import deployment_list, deployments
from core.services.deployments import DeploymentInput, DeploymentView
from web import sse
from web.guards import requires_login
from web.params import IdParam, OptionalIdParam, OptionalTextParam


class DeploymentCreated(DeploymentView, kw_only=True):
    events_url: str


class CloneInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    tags: dict[Text, Annotated[Text, MaxLen(128)]] = {}


class ExtendInput(msgspec.Struct, kw_only=True):
    hours: int | None = None  # the service bounds it by the cleanup period


class RetryInput(msgspec.Struct, kw_only=True):
    tags: dict[Text, Annotated[Text, MaxLen(128)]] = {}


@get("/")
async def list_deployments(
    actor: Actor,
    project_id: OptionalIdParam = None,
    environment_id: OptionalIdParam = None,
    status: OptionalTextParam = None,
    mine: bool = False,
    limit: int = Parameter(default=200, ge=1, le=1000),
) -> list[DeploymentView]:
    return await deployment_list.list_deployments(
        actor,
        project_id=project_id,
        environment_id=environment_id,
        status_filter=status,
        mine=mine,
        limit=limit,
    )


@post("/")
async def create_deployment(
    request: Request, actor: Actor, data: DeploymentInput
) -> DeploymentCreated:
    if not data.request_key and request.headers.get("idempotency-key"):
        data.request_key = request.headers["idempotency-key"]
    dep = await deployments.create_deployment(actor, data)
    return DeploymentCreated(
        **msgspec.structs.asdict(dep), events_url=f"/api/v1/deployments/{dep.id}/events"
    )


@get("/{deployment_id:int}")
async def get_deployment(actor: Actor, deployment_id: IdParam) -> DeploymentView:
    return await deployments.get_deployment(actor, deployment_id)


@post("/{deployment_id:int}/extend", status_code=200)
async def extend(
    actor: Actor, deployment_id: IdParam, data: ExtendInput | None = None
) -> DeploymentView:
    """Restart the cleanup countdown: `hours` from now (1 up to the cleanup period, its
    default); anything beyond is a 422."""
    return await actions.extend(actor, deployment_id, data.hours if data else None)


@post("/{deployment_id:int}/clone")
async def clone(actor: Actor, deployment_id: IdParam, data: CloneInput) -> DeploymentView:
    return await actions.clone(actor, deployment_id, data.name, data.tags)


@post("/{deployment_id:int}/retry", status_code=200)
async def retry(
    actor: Actor, deployment_id: IdParam, data: RetryInput | None = None
) -> DeploymentView:
    """Run a failed deployment again (latest pipeline); `tags` changes some on the way."""
    return await actions.retry(actor, deployment_id, data.tags if data else None)


@delete("/{deployment_id:int}", status_code=202)
async def delete_deployment(actor: Actor, deployment_id: IdParam) -> DeploymentView:
    return await actions.delete(actor, deployment_id)


@get("/{deployment_id:int}/events")
async def events(actor: Actor, deployment_id: IdParam) -> ServerSentEvent:
    await deployments.get_deployment(actor, deployment_id, Level.READ)
    return ServerSentEvent(sse.deployment_events(deployment_id))


@get("/{deployment_id:int}/logs")
async def logs(
    actor: Actor,
    deployment_id: IdParam,
    service: OptionalTextParam = None,
    follow: bool = False,
    tail: int = Parameter(default=200, ge=0, le=5000),
    last_event_id: str | None = Parameter(header="Last-Event-ID", default=None, max_length=64),
) -> ServerSentEvent | Response:
    """Followed, the stream waits for the service to start and resumes after a restart or a
    dropped connection (from Last-Event-ID when the client sends it); lines carry Docker's
    `time` stamp."""
    dep = await deployments.get_deployment(actor, deployment_id, Level.READ)

    async def reload() -> DeploymentView:
        return await deployments.get_deployment(actor, deployment_id, Level.READ)

    logs = sse.deployment_logs(dep, service, tail, follow, reload, last_event_id)
    return ServerSentEvent(logs)


router = Router(
    path="/deployments",
    route_handlers=[
        list_deployments,
        create_deployment,
        get_deployment,
        extend,
        clone,
        retry,
        delete_deployment,
        events,
        logs,
    ],
    guards=[requires_login],
    tags=["deployments"],
)
