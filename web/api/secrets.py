"""/api/v1/projects/{id}/secrets: names and when they were set; values are write-only."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Router, delete, get, put
from litestar.exceptions import NotFoundException

from core.actor import Actor
from core.services import access, secrets
from core.services.secrets import SecretView
from web.guards import requires_login
from web.params import IdParam


class SecretValue(msgspec.Struct):
    value: str


class SecretSet(msgspec.Struct):
    name: str
    updated_at: datetime


async def _visible(actor: Actor, project_id: int) -> None:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")


@get("/")
async def list_secrets(actor: Actor, project_id: IdParam) -> list[SecretView]:
    await _visible(actor, project_id)
    return await secrets.list_secrets(project_id)


@put("/{name:str}")
async def set_secret(actor: Actor, project_id: IdParam, name: str, data: SecretValue) -> SecretSet:
    """Create or replace; the answer never carries the value."""
    await _visible(actor, project_id)
    saved = await secrets.set_secret(actor, project_id, name, data.value)
    return SecretSet(name=saved.name, updated_at=saved.updated_at)


@delete("/{name:str}")
async def delete_secret(actor: Actor, project_id: IdParam, name: str) -> None:
    await _visible(actor, project_id)
    await secrets.delete_secret(actor, project_id, name)


router = Router(
    path="/projects/{project_id:int}/secrets",
    route_handlers=[list_secrets, set_secret, delete_secret],
    guards=[requires_login],
    tags=["secrets"],
)
