"""Plugins (admin): pipeline steps run as containers (JSON on stdin → JSON on stdout).

A plugin's parameters are described by a JSON Schema, checked here as a schema (with the
metaschema it declares, draft 2020-12 when it declares none) so a broken schema never reaches
the pipeline editor; `check_params` validates a step's parameters against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import jsonschema
import msgspec
from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for

from core import validation
from core.actor import Actor
from core.domain import images, plugin_outputs
from core.domain.tags import check_tag
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.fields import Between, Id, MaxLen, Text
from core.services.audit import Target, audited
from core.services.catalog import MAX_CPU, MAX_MEMORY_MB, check_resources
from core.services.catalog_usage import pipelines_using
from core.services.unique import name_must_be_free
from core.tables import Plugin, Registry

MAX_TIMEOUT_S = 24 * 3600
MAX_SCHEMA_BYTES = 64 * 1024


class PluginInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    registry_id: Id
    image: Annotated[Text, MaxLen(256)]
    tag: Annotated[Text, MaxLen(128)]
    description: Annotated[Text, MaxLen(4000)] = ""
    param_schema: dict = {}
    timeout_s: Annotated[int, Between(1, MAX_TIMEOUT_S)] = 300
    cpu: Annotated[float, Between(0.01, MAX_CPU)] = 0.5
    memory_mb: Annotated[int, Between(4, MAX_MEMORY_MB)] = 256
    join_network: bool = False


class PluginView(PluginInput, kw_only=True):
    id: int
    registry_name: str
    created_at: datetime


def check_schema(schema: object) -> dict:
    """A JSON Schema for an object of parameters; refuses anything else with the reason."""
    if not isinstance(schema, dict):
        raise InvalidInput("The parameter schema must be a JSON object.", "param_schema")
    if len(msgspec.json.encode(schema)) > MAX_SCHEMA_BYTES:
        raise InvalidInput("The parameter schema is larger than 64 KB.", "param_schema")
    if schema and schema.get("type", "object") != "object":
        raise InvalidInput(
            'Parameters are a JSON object: the schema\'s "type" must be "object".', "param_schema"
        )
    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "the top level"
        raise InvalidInput(
            f"Invalid JSON Schema at {where}: {exc.message}", "param_schema"
        ) from exc
    problem = plugin_outputs.declaration_problem(schema)
    if problem:
        raise InvalidInput(problem, "param_schema")
    return schema


def check_params(schema: dict, params: object) -> list[str]:
    """Every way `params` breaks `schema`, as 'path: message' lines (empty = valid)."""
    validator = validator_for(schema, default=Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(params), key=jsonschema.exceptions.relevance)
    return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors]


async def _clean(data: PluginInput) -> dict:
    check_resources(data.cpu, data.memory_mb)
    if not 1 <= data.timeout_s <= MAX_TIMEOUT_S:
        raise InvalidInput(f"The timeout must be between 1 and {MAX_TIMEOUT_S} s.", "timeout_s")
    if not await Registry.exists().where(Registry.id == data.registry_id).run():
        raise InvalidInput("No such registry.", "registry_id")
    return {
        "name": validation.dns_label(data.name),
        "description": validation.text(
            data.description, "description", max_length=4000, required=False
        ),
        "registry": data.registry_id,
        "image": images.check_image(data.image),
        "tag": check_tag(data.tag),
        "param_schema": check_schema(data.param_schema),
        "timeout_s": data.timeout_s,
        "cpu": float(data.cpu),
        "memory_mb": data.memory_mb,
        "join_network": bool(data.join_network),
    }


def _view(row: dict) -> PluginView:
    row = {**row, "registry_id": row["registry"], "registry_name": row["registry.name"]}
    return msgspec.convert(row, PluginView, strict=False)


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage plugins.")


async def get_plugin(plugin_id: int) -> PluginView:
    query = Plugin.select(Plugin.all_columns(), Plugin.registry.name).output(load_json=True)
    row = await query.where(Plugin.id == plugin_id).first().run()
    if row is None:
        raise NotFound("No such plugin.")
    return _view(row)


async def list_plugins() -> list[PluginView]:
    query = Plugin.select(Plugin.all_columns(), Plugin.registry.name).output(load_json=True)
    return [_view(r) for r in await query.order_by(Plugin.name).run()]


async def create_plugin(actor: Actor, data: PluginInput) -> PluginView:
    async with audited(actor, "plugin.create", Target("plugin", name=data.name[:63])) as audit:
        _admin(actor)
        values = await _clean(data)
        with name_must_be_free("A plugin", values["name"]):
            row = (await Plugin.insert(Plugin(**values)).returning(Plugin.id).run())[0]
        audit.target = Target("plugin", row["id"], values["name"])
    return await get_plugin(row["id"])


async def update_plugin(actor: Actor, plugin_id: int, data: PluginInput) -> PluginView:
    async with audited(actor, "plugin.update", Target("plugin", plugin_id)) as audit:
        _admin(actor)
        old = await get_plugin(plugin_id)
        audit.target = Target("plugin", old.id, old.name)
        values = await _clean(data)
        with name_must_be_free("A plugin", values["name"]):
            await Plugin.update(values).where(Plugin.id == plugin_id).run()
    return await get_plugin(plugin_id)


async def delete_plugin(actor: Actor, plugin_id: int) -> None:
    async with audited(actor, "plugin.delete", Target("plugin", plugin_id)) as audit:
        _admin(actor)
        old = await get_plugin(plugin_id)
        audit.target = Target("plugin", old.id, old.name)
        used_by = await pipelines_using("plugin", plugin_id)
        if used_by:
            raise Conflict(f"'{old.name}' is still used by {', '.join(used_by)}.")
        await Plugin.delete().where(Plugin.id == plugin_id).run()
