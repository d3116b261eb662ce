"""/api/v1/registries (admin): registries, connection checks and tag listing.

Credentials are write-only: no answer carries the password, only `has_password`.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import registries
from core.services.registries import RegistryInput, RegistryView
from web.guards import requires_admin_api
from web.params import IdParam, TextParam


class TagsAnswer(msgspec.Struct):
    tags: list[str]
    fetched_at: datetime
    hint: str = ""


class CheckAnswer(msgspec.Struct):
    ok: bool
    detail: str


@get("/")
async def list_registries() -> list[RegistryView]:
    return await registries.list_registries()


@post("/")
async def create_registry(actor: Actor, data: RegistryInput) -> RegistryView:
    """Saved without testing the connection, unlike the Registries page (a script may
    register a registry before it is up): check it with `POST /registries/{id}/test`.
    `url` is `https://host[:port][/path]` or `http://…`; a bare host gets `https://`.
    A malformed URL (whitespace, control characters, a bad host or port, `.`/`..` in the
    path, credentials, query) is a 422 whose `detail` names the problem."""
    return await registries.create_registry(actor, data)


@get("/{registry_id:int}")
async def get_registry(registry_id: IdParam) -> RegistryView:
    return await registries.get_registry(registry_id)


@put("/{registry_id:int}")
async def update_registry(actor: Actor, registry_id: IdParam, data: RegistryInput) -> RegistryView:
    """An omitted or empty `password` keeps the stored one; `clear_password` removes it.
    Saved without a connection test, as on create."""
    return await registries.update_registry(actor, registry_id, data)


@delete("/{registry_id:int}")
async def delete_registry(actor: Actor, registry_id: IdParam) -> None:
    await registries.delete_registry(actor, registry_id)


@post("/{registry_id:int}/test", status_code=200)
async def test_registry(registry_id: IdParam) -> CheckAnswer:
    """Connect with the stored credentials; a failure is an error answer naming the cause."""
    return CheckAnswer(ok=True, detail=await registries.check_connection(registry_id))


@get("/{registry_id:int}/tags")
async def list_tags(
    registry_id: IdParam, image: TextParam, pattern: TextParam = "", refresh: bool = False
) -> TagsAnswer:
    """Tags of `image`, filtered by the glob `pattern` if given, highest version first."""
    listing = await registries.list_tags(registry_id, image, pattern, refresh=refresh)
    return TagsAnswer(tags=listing.tags, fetched_at=listing.fetched_at, hint=listing.hint)


router = Router(
    path="/registries",
    route_handlers=[
        list_registries,
        create_registry,
        get_registry,
        update_registry,
        delete_registry,
        test_registry,
        list_tags,
    ],
    guards=[requires_admin_api],
    tags=["registries"],
)
