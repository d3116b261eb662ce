"""/api/v1/services: every signed-in user may read services and their tags; admins change them.
Env values are for admins only: others get the names with empty values and `env_hidden: true`."""

from __future__ import annotations

from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import catalog
from core.services.catalog import ServiceInput, ServiceView
from web.api.registries import TagsAnswer
from web.guards import requires_login
from web.params import IdParam


@get("/")
async def list_services(actor: Actor) -> list[ServiceView]:
    return await catalog.list_services(actor)


@post("/")
async def create_service(actor: Actor, data: ServiceInput) -> ServiceView:
    return await catalog.create_service(actor, data)


@get("/{service_id:int}")
async def get_service(actor: Actor, service_id: IdParam) -> ServiceView:
    return await catalog.get_service(service_id, actor)


@put("/{service_id:int}")
async def update_service(actor: Actor, service_id: IdParam, data: ServiceInput) -> ServiceView:
    return await catalog.update_service(actor, service_id, data)


@delete("/{service_id:int}")
async def delete_service(actor: Actor, service_id: IdParam) -> None:
    await catalog.delete_service(actor, service_id)


@get("/{service_id:int}/tags")
async def list_tags(service_id: IdParam, refresh: bool = False) -> TagsAnswer:
    """The tags a user may deploy: the pinned one, or those matching the service's pattern."""
    listing = await catalog.service_tags(service_id, refresh=refresh)
    return TagsAnswer(tags=listing.tags, fetched_at=listing.fetched_at, hint=listing.hint)


router = Router(
    path="/services",
    route_handlers=[
        list_services,
        create_service,
        get_service,
        update_service,
        delete_service,
        list_tags,
    ],
    guards=[requires_login],
    tags=["services"],
)
