"""Environments: a DNS-label name, an ingress base domain, a default cleanup period."""

from __future__ import annotations

import re
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
from core.tables import Deployment, Environment, Node

MAX_CLEANUP_HOURS = 24 * 365
TLS_MODES = ("off", "internal", "acme")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class EnvironmentView(msgspec.Struct):
    id: int
    name: str
    description: str
    base_domain: str
    cleanup_hours: int
    tls_mode: str
    created_at: datetime
    url_access: str = "public"
    terminals: bool = True
    idle_minutes: int | None = None
    """Running deployments idle this long go to sleep; None or 0 = never (docs/sleep.md)."""


class EnvironmentInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    base_domain: Annotated[Text, MaxLen(200)]
    cleanup_hours: Annotated[int, Between(1, MAX_CLEANUP_HOURS)] = 168
    description: Annotated[Text, MaxLen(2000)] = ""
    tls_mode: Text = "off"  # off | internal | acme
    url_access: Text = "public"  # public | signed-in | password (who may open deployment URLs)
    terminals: bool = True  # terminals and one-shot commands in its services
    idle_minutes: Annotated[int, Between(0, idle.MAX_IDLE_MINUTES)] | None = None
    """Minutes without traffic after which a running deployment sleeps; None or 0 = never."""


def check_base_domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    labels = domain.split(".")
    if not domain or len(domain) > 200 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(
            "Enter a DNS name such as qa.example.com (labels of letters, digits and '-').",
            "base_domain",
        )
    return domain


def _clean(data: EnvironmentInput) -> dict:
    if not 1 <= data.cleanup_hours <= MAX_CLEANUP_HOURS:
        raise InvalidInput(
            f"Auto-cleanup must be between 1 and {MAX_CLEANUP_HOURS} hours.", "cleanup_hours"
        )
    return {
        "name": validation.dns_label(data.name),
        "base_domain": check_base_domain(data.base_domain),
        "cleanup_hours": int(data.cleanup_hours),
        "description": validation.text(
            data.description, "description", max_length=2000, required=False
        ),
        "tls_mode": validation.one_of(data.tls_mode, TLS_MODES, "tls_mode"),
        "url_access": validation.one_of(data.url_access, POLICIES, "url_access"),
        "terminals": bool(data.terminals),
        "idle_minutes": idle.check_minutes(data.idle_minutes),
    }


async def get_environment(environment_id: int) -> EnvironmentView:
    row = await Environment.select().where(Environment.id == environment_id).first().run()
    if row is None:
        raise NotFound("No such environment.")
    return msgspec.convert(row, EnvironmentView, strict=False)


async def list_environments(ids: set[int] | None = None) -> list[EnvironmentView]:
    query = Environment.select().order_by(Environment.name)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Environment.id.is_in(list(ids)))
    return [msgspec.convert(r, EnvironmentView, strict=False) for r in await query.run()]


async def create_environment(actor: Actor, data: EnvironmentInput) -> EnvironmentView:
    target = Target("environment", name=data.name[:63])
    async with audited(actor, "environment.create", target) as audit:
        if not actor.is_admin:
            raise Forbidden("Only admins can create environments.")
        values = _clean(data)
        with name_must_be_free("An environment", values["name"]):
            row = (await Environment.insert(Environment(**values)).returning(Environment.id).run())[
                0
            ]
        audit.target = Target("environment", row["id"], values["name"], environment_id=row["id"])
    return await get_environment(row["id"])


async def update_environment(
    actor: Actor, environment_id: int, data: EnvironmentInput
) -> EnvironmentView:
    async with audited(actor, "environment.update", Target("environment", environment_id)) as a:
        if not actor.is_admin:
            raise Forbidden("Only admins can change environments.")
        old = await get_environment(environment_id)
        a.target = Target("environment", old.id, old.name, environment_id=old.id)
        values = _clean(data)
        with name_must_be_free("An environment", values["name"]):
            await Environment.update(values).where(Environment.id == environment_id).run()
    ingress.request_sync()  # the URL access policy (or the names) may have changed
    url_access.forget()  # decisions made under the old policy
    return await get_environment(environment_id)


async def delete_environment(actor: Actor, environment_id: int) -> None:
    async with audited(actor, "environment.delete", Target("environment", environment_id)) as a:
        if not actor.is_admin:
            raise Forbidden("Only admins can delete environments.")
        old = await get_environment(environment_id)
        a.target = Target("environment", old.id, old.name, environment_id=old.id)
        live = (
            await Deployment.count()
            .where((Deployment.environment == environment_id) & (Deployment.status != "deleted"))
            .run()
        )
        nodes = await Node.count().where(Node.environment == environment_id).run()
        if live or nodes:
            raise Conflict(
                f"'{old.name}' still has {nodes} node(s) and {live} live deployment(s); "
                "remove them first."
            )
        try:
            await Environment.delete().where(Environment.id == environment_id).run()
        except asyncpg.ForeignKeyViolationError as exc:
            raise Conflict(f"'{old.name}' still has deployment history.") from exc
