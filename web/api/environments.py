"""/api/v1/environments: visible environments for everyone; create, change, delete for admins."""

from __future__ import annotations

from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import access, environments
from core.services.environments import EnvironmentInput, EnvironmentView
from web.guards import requires_login
from web.params import IdParam


@get("/")
async def list_environments(actor: Actor) -> list[EnvironmentView]:
    _, ids = await access.visible_ids(actor)
    return await environments.list_environments(ids)


@post("/")
async def create_environment(actor: Actor, data: EnvironmentInput) -> EnvironmentView:
    return await environments.create_environment(actor, data)


@get("/{environment_id:int}")
async def get_environment(visible_environment: EnvironmentView) -> EnvironmentView:
    return visible_environment


@put("/{environment_id:int}")
async def update_environment(
    actor: Actor,
    environment_id: IdParam,
    data: EnvironmentInput,
    visible_environment: EnvironmentView,
) -> EnvironmentView:
    return await environments.update_environment(actor, environment_id, data)


@delete("/{environment_id:int}")
async def delete_environment(
    actor: Actor, environment_id: IdParam, visible_environment: EnvironmentView
) -> None:
    await environments.delete_environment(actor, environment_id)


router = Router(
    path="/environments",
    route_handlers=[
        list_environments,
        create_environment,
        get_environment,
        update_environment,
        delete_environment,
    ],
    guards=[requires_login],
    tags=["environments"],
)
