"""/api/v1/plugins: every signed-in user may read plugins (the pipeline editor needs their
parameter schemas); admins create, change and delete them."""

from __future__ import annotations

from litestar import Router, delete, get, post, put

from core.actor import Actor
from core.services import plugins
from core.services.plugins import PluginInput, PluginView
from web.guards import requires_login
from web.params import IdParam


@get("/")
async def list_plugins() -> list[PluginView]:
    return await plugins.list_plugins()


@post("/")
async def create_plugin(actor: Actor, data: PluginInput) -> PluginView:
    return await plugins.create_plugin(actor, data)


@get("/{plugin_id:int}")
async def get_plugin(plugin_id: IdParam) -> PluginView:
    return await plugins.get_plugin(plugin_id)


@put("/{plugin_id:int}")
async def update_plugin(actor: Actor, plugin_id: IdParam, data: PluginInput) -> PluginView:
    return await plugins.update_plugin(actor, plugin_id, data)


@delete("/{plugin_id:int}")
async def delete_plugin(actor: Actor, plugin_id: IdParam) -> None:
    await plugins.delete_plugin(actor, plugin_id)


router = Router(
    path="/plugins",
    route_handlers=[list_plugins, create_plugin, get_plugin, update_plugin, delete_plugin],
    guards=[requires_login],
    tags=["plugins"],
)
