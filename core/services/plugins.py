"""Plugins (admin): pipeline steps run as containers (JSON on stdin → JSON on stdout).

A plugin's parameters are described by a JSON Schema, checked here as a schema (with the
metaschema it declares, draft 2020-12 when it declares none) so a broken schema never reaches
the pipeline editor; `check_params` validates a step's parameters against it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import jsonschema
import msgspec
from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for

from core import validation
from core.actor import Actor
from core.domain import images, plugin_outputs
from core.domain import pipeline as graphs
from core.domain.tags import check_tag
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.fields import Between, Id, MaxLen, Text
from core.services import catalog_usage, plugin_images
from core.services.audit import Target, audited
from core.services.catalog import MAX_CPU, MAX_MEMORY_MB, check_resources
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
    live = (Plugin.id == plugin_id) & Plugin.removed_at.is_null()
    row = await query.where(live).first().run()
    if row is None:
        raise NotFound("No such plugin.")
    return _view(row)


async def list_plugins() -> list[PluginView]:
    query = Plugin.select(Plugin.all_columns(), Plugin.registry.name).output(load_json=True)
    query = query.where(Plugin.removed_at.is_null())
    return [_view(r) for r in await query.order_by(Plugin.name).run()]


async def create_plugin(actor: Actor, data: PluginInput) -> PluginView:
    async with audited(actor, "plugin.create", Target("plugin", name=data.name[:63])) as audit:
        _admin(actor)
        values = await _clean(data)
        with name_must_be_free("A plugin", values["name"]):
            row = (await Plugin.insert(Plugin(**values)).returning(Plugin.id).run())[0]
        audit.target = Target("plugin", row["id"], values["name"])
    await plugin_images.announce()  # every node starts pulling its image now
    return await get_plugin(row["id"])


async def update_plugin(actor: Actor, plugin_id: int, data: PluginInput) -> PluginView:
    async with audited(actor, "plugin.update", Target("plugin", plugin_id)) as audit:
        _admin(actor)
        old = await get_plugin(plugin_id)
        audit.target = Target("plugin", old.id, old.name)
        values = await _clean(data)
        with name_must_be_free("A plugin", values["name"]):
            await Plugin.update(values).where(Plugin.id == plugin_id).run()
    await plugin_images.announce()  # a new tag is pulled ahead; running deployments keep theirs
    return await get_plugin(plugin_id)


async def delete_plugin(actor: Actor, plugin_id: int) -> str:
    """Delete a plugin no pipeline uses, or retire one that only deployments still running an
    older pipeline version use: it leaves the catalog (editor, agents' list) and is kept for
    them (their syncs and rollbacks need it) until the housekeeping job deletes it. A project's
    current pipeline that uses it refuses: new deployments would run it. Returns what was done."""
    async with audited(actor, "plugin.delete", Target("plugin", plugin_id)) as audit:
        _admin(actor)
        old = await get_plugin(plugin_id)
        audit.target = Target("plugin", old.id, old.name)
        used = await catalog_usage.uses("plugin", plugin_id)
        if any(use.current for use in used):
            names = ", ".join(str(use) for use in used if use.current)
            raise Conflict(
                f"'{old.name}' is still used by {names}: save those pipelines without it first."
            )
        if used:
            await (
                Plugin.update({Plugin.removed_at: datetime.now(UTC)})
                .where(Plugin.id == plugin_id)
                .run()
            )
            done = (
                f"Plugin '{old.name}' removed from the catalog. Deployments still running "
                f"{', '.join(str(use) for use in used)} keep it until they are deleted."
            )
        else:
            await Plugin.delete().where(Plugin.id == plugin_id).run()
            done = f"Plugin '{old.name}' deleted."
    await plugin_images.announce()
    return done


async def purge_retired() -> int:
    """Delete the retired plugins no live deployment runs any more (housekeeping)."""
    rows = await Plugin.select(Plugin.id).where(Plugin.removed_at.is_not_null()).run()
    purged = 0
    for row in rows:
        if not await catalog_usage.uses("plugin", row["id"]):
            await Plugin.delete().where(Plugin.id == row["id"]).run()
            purged += 1
    return purged


async def check_available(graph: graphs.Graph) -> None:
    """Refuse a new deployment whose pipeline names a plugin that left the catalog."""
    ids = [n.config.get("plugin_id") for n in graph.nodes if n.kind == "plugin"]
    rows = (
        await Plugin.select(Plugin.id)
        .where(
            Plugin.id.is_in([i for i in ids if isinstance(i, int)] or [0])
            & Plugin.removed_at.is_null()
        )
        .run()
    )
    live = {row["id"] for row in rows}
    for node in graph.nodes:
        if node.kind == "plugin" and node.config.get("plugin_id") not in live:
            raise Conflict(
                f"Pipeline node '{node.id}' uses a plugin that was removed from the catalog: "
                "an admin must save the pipeline without it before it can be deployed."
            )
