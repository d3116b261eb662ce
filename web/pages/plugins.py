"""Plugins (admin): pipeline steps run as containers, with a parameter JSON Schema."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import InvalidInput
from core.services import plugin_images, plugins, registries
from core.services.plugins import PluginInput
from web.forms import remove, submit
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_float, as_int, page, redirect

ADMIN_NAV = ("Plugins", "/plugins", 32)


def parse_schema(text: str) -> Any:
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"Not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}.", "param_schema"
        ) from exc


def plugin_input(data: dict[str, str]) -> PluginInput:
    return PluginInput(
        name=data.get("name", ""),
        description=data.get("description", ""),
        registry_id=as_int(data.get("registry_id"), 0) or 0,
        image=data.get("image", ""),
        tag=data.get("tag", ""),
        param_schema=parse_schema(data.get("param_schema", "")),
        timeout_s=as_int(data.get("timeout_s"), 0) or 0,
        cpu=as_float(data.get("cpu"), 0.0) or 0.0,
        memory_mb=as_int(data.get("memory_mb"), 0) or 0,
        join_network=data.get("join_network") == "on",
    )


async def _form_page(request: Request, plugin_id: int | None, **extra: Any) -> Template:
    plugin = await plugins.get_plugin(plugin_id) if plugin_id else None
    schema_text = json.dumps(plugin.param_schema, indent=2) if plugin else ""
    on_nodes = (
        await plugin_images.node_states(plugin.registry_id, plugin.image, plugin.tag)
        if plugin
        else []
    )
    return page(
        request,
        "catalog/plugin.html",
        plugin=plugin,
        schema_text=schema_text,
        registries=await registries.list_registries(),
        on_nodes=on_nodes,
        **extra,
    )


@get("/")
async def index(request: Request) -> Template:
    return page(request, "catalog/plugins.html", plugins=await plugins.list_plugins())


@get("/new")
async def new(request: Request) -> Template:
    return await _form_page(request, None)


async def _save(request: Request, actor: Actor, plugin_id: int | None) -> Template | Redirect:
    async def save(data: dict[str, str]) -> plugins.PluginView:
        if plugin_id is None:
            return await plugins.create_plugin(actor, plugin_input(data))
        return await plugins.update_plugin(actor, plugin_id, plugin_input(data))

    return await submit(
        request,
        save,
        done=lambda saved: redirect(f"/plugins/{saved.id}", f"Plugin '{saved.name}' saved."),
        redraw=partial(_form_page, request, plugin_id),
    )


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await _save(request, actor, None)


@get("/{plugin_id:int}")
async def detail(request: Request, plugin_id: IdParam) -> Template:
    return await _form_page(request, plugin_id)


@post("/{plugin_id:int}")
async def update(request: Request, actor: Actor, plugin_id: IdParam) -> Template | Redirect:
    return await _save(request, actor, plugin_id)


@post("/{plugin_id:int}/delete")
async def delete(request: Request, actor: Actor, plugin_id: IdParam) -> Template | Redirect:
    return await remove(
        plugins.delete_plugin(actor, plugin_id),
        to="/plugins",
        redraw=partial(_form_page, request, plugin_id),
    )


router = Router(
    path="/plugins",
    route_handlers=[index, new, create, detail, update, delete],
    guards=[requires_admin],
    include_in_schema=False,
)
