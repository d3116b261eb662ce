"""/api/v1/projects/{id}/secrets: names and when they were set; values are write-only."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Router, delete, get, put

from core.actor import Actor
from core.services import secrets
from core.services.projects import ProjectView
from core.services.secrets import SecretView
from web.guards import requires_login
from web.params import IdParam


class SecretValue(msgspec.Struct):
    value: str


class SecretSet(msgspec.Struct):
    name: str
    updated_at: datetime


@get("/")
async def list_secrets(project_id: IdParam, visible_project: ProjectView) -> list[SecretView]:
    return await secrets.list_secrets(project_id)


@put("/{name:str}")
async def set_secret(
    actor: Actor, project_id: IdParam, name: str, data: SecretValue, visible_project: ProjectView
) -> SecretSet:
    """Create or replace; the answer never carries the value."""
    saved = await secrets.set_secret(actor, project_id, name, data.value)
    return SecretSet(name=saved.name, updated_at=saved.updated_at)


@delete("/{name:str}")
async def delete_secret(
    actor: Actor, project_id: IdParam, name: str, visible_project: ProjectView
) -> None:
    await secrets.delete_secret(actor, project_id, name)


router = Router(
    path="/projects/{project_id:int}/secrets",
    route_handlers=[list_secrets, set_secret, delete_secret],
    guards=[requires_login],
    tags=["secrets"],
)
