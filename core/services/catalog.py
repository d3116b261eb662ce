"""Services (admin): what a pipeline's long-running containers are made from.

A service names a registry and image and either pins one tag (`pinned`, shown locked) or
lets users pick among the registry's tags that match a glob (`selectable`). It also carries
the container port exposed through the ingress, environment, a health check, its default
CPU/RAM share, and the capabilities and user its container runs with.

Env values often hold credentials, so only admins read them: everyone else gets the names with
empty values and `env_hidden` set (`get_service`/`list_services` take the viewer for that).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from core import validation
from core.actor import Actor
from core.domain import images
from core.domain.container_security import check_capabilities, check_user
from core.domain.tags import MAX_PATTERN, check_tag, compile_pattern
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.fields import Between, Id, MaxLen, Text
from core.services import registries
from core.services.audit import Target, audited
from core.services.catalog_usage import pipelines_using
from core.services.unique import name_must_be_free
from core.tables import Registry, Service

MAX_CPU = 256.0
MAX_MEMORY_MB = 1024 * 1024
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
TAG_MODES = ("pinned", "selectable")


class HealthCheck(msgspec.Struct, kw_only=True, omit_defaults=True):
    kind: Literal["none", "http", "tcp", "command"] = "none"
    path: str = "/"
    command: str = ""
    interval_s: int = 10
    timeout_s: int = 5
    retries: int = 3


class ServiceInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    registry_id: Id
    image: Annotated[Text, MaxLen(256)]
    tag_mode: Text = "pinned"  # pinned | selectable
    tag: Annotated[Text, MaxLen(128)] = ""
    tag_pattern: Annotated[Text, MaxLen(MAX_PATTERN)] = ""
    port: Annotated[int, Between(1, 65535)] | None = None
    env: dict[str, str] = {}  # values may hold any character but NUL (checked below)
    health_check: HealthCheck = msgspec.field(default_factory=HealthCheck)
    command: Annotated[Text, MaxLen(4000)] = ""
    cpu: Annotated[float, Between(0.01, MAX_CPU)] = 0.5
    memory_mb: Annotated[int, Between(4, MAX_MEMORY_MB)] = 256
    description: Annotated[Text, MaxLen(2000)] = ""
    cap_add: list[Text] = []  # Linux capabilities beyond Docker's default set, e.g. NET_ADMIN
    cap_drop: list[Text] = []  # capabilities to take away; ALL drops every one
    run_as: Text = ""  # "user", "uid" or either with ":group"; "" = the image's own user


class ServiceView(ServiceInput, kw_only=True):
    id: int
    registry_name: str
    created_at: datetime
    env_hidden: bool = False  # True: env values left out (only admins read them)


def check_resources(cpu: float, memory_mb: int) -> None:
    """Refuse zero, negative, NaN and absurd CPU/RAM before they reach Docker."""
    if not (isinstance(cpu, int | float) and math.isfinite(cpu) and 0.01 <= cpu <= MAX_CPU):
        raise InvalidInput(f"CPU must be between 0.01 and {MAX_CPU:g} cores.", "cpu")
    if not (isinstance(memory_mb, int) and 4 <= memory_mb <= MAX_MEMORY_MB):
        raise InvalidInput(f"Memory must be between 4 and {MAX_MEMORY_MB} MB.", "memory_mb")


def _check_health(check: HealthCheck) -> dict:
    if check.kind == "http" and not check.path.startswith("/"):
        raise InvalidInput("The health check path must start with '/'.", "health_check")
    if check.kind == "command" and not check.command.strip():
        raise InvalidInput("Enter the health check command.", "health_check")
    for name in ("interval_s", "timeout_s", "retries"):
        if not 1 <= getattr(check, name) <= 3600:
            raise InvalidInput(f"Health check {name} must be between 1 and 3600.", "health_check")
    return msgspec.to_builtins(check)


def _check_env(env: dict[str, str]) -> dict[str, str]:
    if len(env) > 200:
        raise InvalidInput("At most 200 environment variables.", "env")
    for name, value in env.items():
        if not ENV_NAME.fullmatch(name):
            raise InvalidInput(f"'{name}' is not a valid variable name.", "env")
        if not isinstance(value, str) or len(value) > 8192 or "\x00" in value:
            raise InvalidInput(f"The value of {name} must be text up to 8192 characters.", "env")
    return dict(env)


def _pattern(pattern: str) -> str:
    compile_pattern(pattern)
    return pattern.strip()


async def _clean(data: ServiceInput) -> dict:
    check_resources(data.cpu, data.memory_mb)
    if not await Registry.exists().where(Registry.id == data.registry_id).run():
        raise InvalidInput("No such registry.", "registry_id")
    mode = validation.one_of(data.tag_mode, TAG_MODES, "tag_mode")
    if data.port is not None and not 1 <= data.port <= 65535:
        raise InvalidInput("The port must be between 1 and 65535.", "port")
    return {
        "name": validation.dns_label(data.name),
        "description": validation.text(
            data.description, "description", max_length=2000, required=False
        ),
        "registry": data.registry_id,
        "image": images.check_image(data.image),
        "tag_mode": mode,
        "tag": check_tag(data.tag) if mode == "pinned" else "",
        "tag_pattern": _pattern(data.tag_pattern) if mode == "selectable" else "",
        "port": data.port,
        "env": _check_env(data.env),
        "health_check": _check_health(data.health_check),
        "command": validation.text(data.command, "command", max_length=4000, required=False),
        "cpu": float(data.cpu),
        "memory_mb": data.memory_mb,
        "cap_add": check_capabilities(data.cap_add, "cap_add", allow_all=False),
        "cap_drop": check_capabilities(data.cap_drop, "cap_drop", allow_all=True),
        "run_as": check_user(data.run_as),
    }


def _view(row: dict) -> ServiceView:
    row = {**row, "registry_id": row["registry"], "registry_name": row["registry.name"]}
    return msgspec.convert(row, ServiceView, strict=False)


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage services.")


def _as_seen_by(viewer: Actor, view: ServiceView) -> ServiceView:
    if viewer.is_admin:
        return view
    hidden = dict.fromkeys(view.env, "")
    return msgspec.structs.replace(view, env=hidden, env_hidden=True)


async def get_service(service_id: int, viewer: Actor) -> ServiceView:
    return _as_seen_by(viewer, await _load(service_id))


async def _load(service_id: int) -> ServiceView:
    row = (
        await Service.select(Service.all_columns(), Service.registry.name)
        .output(load_json=True)
        .where(Service.id == service_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound("No such service.")
    return _view(row)


async def list_services(viewer: Actor) -> list[ServiceView]:
    rows = (
        await Service.select(Service.all_columns(), Service.registry.name)
        .output(load_json=True)
        .order_by(Service.name)
        .run()
    )
    return [_as_seen_by(viewer, _view(r)) for r in rows]


async def create_service(actor: Actor, data: ServiceInput) -> ServiceView:
    async with audited(actor, "service.create", Target("service", name=data.name[:63])) as audit:
        _admin(actor)
        values = await _clean(data)
        with name_must_be_free("A service", values["name"]):
            row = (await Service.insert(Service(**values)).returning(Service.id).run())[0]
        audit.target = Target("service", row["id"], values["name"])
    return await _load(row["id"])


async def update_service(actor: Actor, service_id: int, data: ServiceInput) -> ServiceView:
    async with audited(actor, "service.update", Target("service", service_id)) as audit:
        _admin(actor)
        old = await _load(service_id)
        audit.target = Target("service", old.id, old.name)
        values = await _clean(data)
        with name_must_be_free("A service", values["name"]):
            await Service.update(values).where(Service.id == service_id).run()
    return await _load(service_id)


async def delete_service(actor: Actor, service_id: int) -> None:
    async with audited(actor, "service.delete", Target("service", service_id)) as audit:
        _admin(actor)
        old = await _load(service_id)
        audit.target = Target("service", old.id, old.name)
        used_by = await pipelines_using("service", service_id)
        if used_by:
            raise Conflict(f"'{old.name}' is still used by {', '.join(used_by)}.")
        await Service.delete().where(Service.id == service_id).run()


async def service_tags(service_id: int, *, refresh: bool = False) -> registries.TagListing:
    """What a user may pick: the pinned tag, or the registry's tags matching the pattern."""
    service = await _load(service_id)
    if service.tag_mode == "pinned":
        return registries.TagListing(tags=[service.tag], fetched_at=service.created_at)
    return await registries.list_tags(
        service.registry_id, service.image, service.tag_pattern, refresh=refresh
    )
