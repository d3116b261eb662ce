"""Projects: name, description, CPU/RAM limits per deployment, optional cleanup override."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
import msgspec

from core import ingress, validation
from core.actor import Actor
from core.domain import idle
from core.domain.url_access import POLICIES
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.fields import Between, MaxLen, Text
from core.services import url_access
from core.services.audit import Target, audited
from core.services.unique import name_must_be_free
from core.tables import Deployment, Project

MAX_CPU = 256.0
MAX_MEMORY_MB = 1024 * 1024
MAX_CLEANUP_HOURS = 24 * 365


class ProjectView(msgspec.Struct):
    id: int
    name: str
    description: str
    cpu: float
    memory_mb: int
    cleanup_hours: int | None
    created_at: datetime
    url_access: str | None = None
    """Overrides the environment's URL access policy; None = the environment's."""
    idle_minutes: int | None = None
    """Overrides the environment's idle period; None = the environment's, 0 = never sleep."""


class ProjectInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    description: Annotated[Text, MaxLen(2000)] = ""
    cpu: Annotated[float, Between(0.05, MAX_CPU)] = 2.0
    memory_mb: Annotated[int, Between(16, MAX_MEMORY_MB)] = 2048
    cleanup_hours: Annotated[int, Between(1, MAX_CLEANUP_HOURS)] | None = None
    url_access: Text | None = None  # public | signed-in | password; None = the environment's
    idle_minutes: Annotated[int, Between(0, idle.MAX_IDLE_MINUTES)] | None = None
    """Minutes without traffic after which a running deployment sleeps; None = the
    environment's period, 0 = never."""


def check_limits(cpu: float, memory_mb: int, cleanup_hours: int | None) -> None:
    if not 0.05 <= cpu <= MAX_CPU:
        raise InvalidInput(f"CPU must be between 0.05 and {MAX_CPU:g} cores.", "cpu")
    if not 16 <= memory_mb <= MAX_MEMORY_MB:
        raise InvalidInput(f"Memory must be between 16 and {MAX_MEMORY_MB} MB.", "memory_mb")
    if cleanup_hours is not None and not 1 <= cleanup_hours <= MAX_CLEANUP_HOURS:
        raise InvalidInput(
            f"Auto-cleanup must be between 1 and {MAX_CLEANUP_HOURS} hours.", "cleanup_hours"
        )


def _clean(data: ProjectInput) -> dict:
    check_limits(data.cpu, data.memory_mb, data.cleanup_hours)
    return {
        "name": validation.dns_label(data.name),
        "description": validation.text(
            data.description, "description", max_length=2000, required=False
        ),
        "cpu": float(data.cpu),
        "memory_mb": int(data.memory_mb),
        "cleanup_hours": data.cleanup_hours,
        "idle_minutes": idle.check_minutes(data.idle_minutes),
        "url_access": validation.one_of(data.url_access, POLICIES, "url_access")
        if data.url_access
        else None,
    }


async def get_project(project_id: int) -> ProjectView:
    row = await Project.select().where(Project.id == project_id).first().run()
    if row is None:
        raise NotFound("No such project.")
    return msgspec.convert(row, ProjectView, strict=False)


async def list_projects(ids: set[int] | None = None) -> list[ProjectView]:
    """All projects, or only those in `ids` (what a non-admin may see)."""
    query = Project.select().order_by(Project.name)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Project.id.is_in(list(ids)))
    return [msgspec.convert(r, ProjectView, strict=False) for r in await query.run()]


async def create_project(actor: Actor, data: ProjectInput) -> ProjectView:
    async with audited(actor, "project.create", Target("project", name=data.name[:63])) as audit:
        if not actor.is_admin:
            raise Forbidden("Only admins can create projects.")
        values = _clean(data)
        with name_must_be_free("A project", values["name"]):
            row = (await Project.insert(Project(**values)).returning(Project.id).run())[0]
        audit.target = Target("project", row["id"], values["name"], project_id=row["id"])
    return await get_project(row["id"])


async def update_project(actor: Actor, project_id: int, data: ProjectInput) -> ProjectView:
    async with audited(actor, "project.update", Target("project", project_id)) as audit:
        if not actor.is_admin:
            raise Forbidden("Only admins can change projects.")
        old = await get_project(project_id)
        audit.target = Target("project", old.id, old.name, project_id=old.id)
        values = _clean(data)
        with name_must_be_free("A project", values["name"]):
            await Project.update(values).where(Project.id == project_id).run()
    ingress.request_sync()  # the URL access override may have changed
    url_access.forget()  # decisions made under the old policy
    return await get_project(project_id)


async def delete_project(actor: Actor, project_id: int) -> None:
    async with audited(actor, "project.delete", Target("project", project_id)) as audit:
        if not actor.is_admin:
            raise Forbidden("Only admins can delete projects.")
        old = await get_project(project_id)
        audit.target = Target("project", old.id, old.name, old.id)
        live = (
            await Deployment.count()
            .where((Deployment.project == project_id) & (Deployment.status != "deleted"))
            .run()
        )
        if live:
            raise Conflict(f"'{old.name}' still has {live} live deployment(s); delete them first.")
        try:
            await Project.delete().where(Project.id == project_id).run()
        except asyncpg.ForeignKeyViolationError as exc:
            raise Conflict(
                f"'{old.name}' still has deployment history; it cannot be deleted."
            ) from exc
