"""Services: admins define them; every signed-in user may load a service's tag dropdown.

The form previews the tags matching the pattern while it is typed (HTMX, `/services/preview`),
and `/services/{id}/tag-select` is the dropdown fragment deployment forms load. The form warns
about env values that look like credentials written out: they belong in project secrets.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import InvalidInput, ShoalError
from core.services import catalog, registries
from core.services.catalog import HealthCheck, ServiceInput
from web.forms import remove, submit
from web.guards import requires_admin, requires_login
from web.params import IdParam
from web.rendering import as_float, as_int, page, redirect

ADMIN_NAV = ("Services", "/services", 31)
HEALTH_KINDS = ("none", "http", "tcp", "command")
CREDENTIAL_NAME = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)


def written_out_credentials(env: dict[str, str]) -> list[str]:
    """Names that look like credentials but hold a literal value, not a secret reference."""
    return [
        name
        for name, value in env.items()
        if CREDENTIAL_NAME.search(name) and value and "secrets." not in value
    ]


def parse_names(text: str) -> list[str]:
    """Capability names separated by commas, spaces or new lines."""
    return [name for name in re.split(r"[\s,]+", text) if name]


def parse_env(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise InvalidInput(f"Line {number}: write NAME=value.", "env")
        env[name.strip()] = value
    return env


def service_input(data: dict[str, str]) -> ServiceInput:
    kind = data.get("hc_kind", "none")
    if kind not in HEALTH_KINDS:
        raise InvalidInput(f"Must be one of: {', '.join(HEALTH_KINDS)}.", "health_check")
    return ServiceInput(
        name=data.get("name", ""),
        description=data.get("description", ""),
        registry_id=as_int(data.get("registry_id"), 0) or 0,
        image=data.get("image", ""),
        tag_mode=data.get("tag_mode", "pinned"),
        tag=data.get("tag", ""),
        tag_pattern=data.get("tag_pattern", ""),
        port=as_int(data.get("port")),
        env=parse_env(data.get("env", "")),
        health_check=HealthCheck(
            kind=kind,  # type: ignore[arg-type]
            path=data.get("hc_path") or "/",
            command=data.get("hc_command", ""),
            interval_s=as_int(data.get("hc_interval_s"), 10) or 0,
            timeout_s=as_int(data.get("hc_timeout_s"), 5) or 0,
            retries=as_int(data.get("hc_retries"), 3) or 0,
        ),
        command=data.get("command", ""),
        cpu=as_float(data.get("cpu"), 0.0) or 0.0,
        memory_mb=as_int(data.get("memory_mb"), 0) or 0,
        cap_add=parse_names(data.get("cap_add", "")),
        cap_drop=parse_names(data.get("cap_drop", "")),
        run_as=data.get("run_as", ""),
    )


async def _form_page(
    request: Request, actor: Actor, service_id: int | None, **extra: Any
) -> Template:
    service = await catalog.get_service(service_id, actor) if service_id else None
    return page(
        request,
        "catalog/service.html",
        service=service,
        registries=await registries.list_registries(),
        health_kinds=HEALTH_KINDS,
        written_out=written_out_credentials(service.env) if service else [],
        **extra,
    )


@get("/", guards=[requires_admin])
async def index(request: Request, actor: Actor) -> Template:
    return page(request, "catalog/services.html", services=await catalog.list_services(actor))


@get("/new", guards=[requires_admin])
async def new(request: Request, actor: Actor) -> Template:
    return await _form_page(request, actor, None)


async def _save(request: Request, actor: Actor, service_id: int | None) -> Template | Redirect:
    async def save(data: dict[str, str]) -> catalog.ServiceView:
        if service_id is None:
            return await catalog.create_service(actor, service_input(data))
        return await catalog.update_service(actor, service_id, service_input(data))

    return await submit(
        request,
        save,
        done=lambda saved: redirect(f"/services/{saved.id}", f"Service '{saved.name}' saved."),
        redraw=partial(_form_page, request, actor, service_id),
    )


@post("/", guards=[requires_admin])
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await _save(request, actor, None)


@get("/{service_id:int}", guards=[requires_admin])
async def detail(request: Request, actor: Actor, service_id: IdParam) -> Template:
    return await _form_page(request, actor, service_id)


@post("/{service_id:int}", guards=[requires_admin])
async def update(request: Request, actor: Actor, service_id: IdParam) -> Template | Redirect:
    return await _save(request, actor, service_id)


@post("/{service_id:int}/delete", guards=[requires_admin])
async def delete(request: Request, actor: Actor, service_id: IdParam) -> Template | Redirect:
    return await remove(
        catalog.delete_service(actor, service_id),
        to="/services",
        message="Service deleted.",
        redraw=partial(_form_page, request, actor, service_id),
    )


@get("/preview", guards=[requires_admin])
async def preview(
    request: Request,
    registry_id: IdParam = 0,
    image: str = "",
    tag_mode: str = "pinned",
    tag_pattern: str = "",
    refresh: bool = False,
) -> Template:
    """HTMX: the tags the pattern being typed would offer (or why there are none)."""
    context: dict[str, Any] = {"tag_mode": tag_mode}
    if tag_mode == "selectable" and registry_id and image.strip() and tag_pattern.strip():
        try:
            context["listing"] = await registries.list_tags(
                registry_id, image, tag_pattern, refresh=refresh
            )
        except ShoalError as exc:
            context["error"] = exc.detail
    return page(request, "partials/catalog/tag_preview.html", **context)


@get("/{service_id:int}/tag-select")
async def tag_select(
    request: Request,
    actor: Actor,
    service_id: IdParam,
    name: str = "tag",
    selected: str = "",
    refresh: bool = False,
) -> Template:
    """HTMX: the tag dropdown for one service (locked when pinned), for any signed-in user.
    `selected` is the tag to pick; a refresh also sends the dropdown's current value under
    its own `name`, which wins (the user's latest choice)."""
    service = await catalog.get_service(service_id, actor)
    wanted = request.query_params.get(name) or selected
    context: dict[str, Any] = {"service": service, "name": name, "selected": wanted}
    try:
        context["listing"] = await catalog.service_tags(service_id, refresh=refresh)
    except ShoalError as exc:
        context["error"] = exc.detail
    return page(request, "partials/catalog/tag_select.html", **context)


router = Router(
    path="/services",
    route_handlers=[index, new, create, detail, update, delete, preview, tag_select],
    guards=[requires_login],
    include_in_schema=False,
)
