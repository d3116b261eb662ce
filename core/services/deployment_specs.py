"""Resolve a deployment into the agent's DeploymentSpec: catalog defaults + the node's own
settings + the chosen tags, image references with registry credentials, public URLs, secrets.

Secrets, registry passwords and the real outputs of the current run's steps (which a rollback
after an agent restart needs) are decrypted here, only for the message sent to the agent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from agent import protocol
from core import ingress, runtime
from core.domain import images, plugin_outputs
from core.domain import pipeline as graphs
from core.errors import Conflict, ShoalError
from core.services import dataset_nodes, registries, secrets, step_outputs
from core.tables import Deployment, Environment, Plugin, Registry, Service

# The catalog's health-check kinds mapped onto what the agent checks.
HEALTH_TYPES = {"http": "http", "tcp": "tcp"}


def _registry_host(url: str) -> str:
    return urlsplit(url).netloc


def _health(node_check: dict | None, catalog_check: dict) -> protocol.HealthCheck | None:
    if node_check:
        kind = node_check.get("type", "tcp")
        if kind == "none":
            return None
        return protocol.HealthCheck(
            type=kind, path=node_check.get("path", "/"), timeout_s=node_check.get("timeout_s", 60)
        )
    kind = HEALTH_TYPES.get(catalog_check.get("kind", "none"))
    if kind is None:
        return None
    return protocol.HealthCheck(type=kind, path=catalog_check.get("path", "/"))


def _service_node(node: graphs.Node, service: dict, registry: dict, tag: str) -> Any:
    config = node.config
    command = config.get("command") or service["command"] or None
    return protocol.ServiceNode(
        id=node.id,
        image=images.pull_reference(registry["url"], service["image"], tag),
        config=protocol.ServiceConfig(
            port=config.get("port") or service["port"],
            env={**(service["env"] or {}), **(config.get("env") or {})},
            command=command,
            entrypoint=config.get("entrypoint") or None,
            health_check=_health(config.get("health_check"), service["health_check"] or {}),
            cpu=config.get("cpu") or service["cpu"],
            memory_mb=config.get("memory_mb") or service["memory_mb"],
            # Catalog only: what a container may do is the admin's call, not the pipeline's.
            cap_add=list(service.get("cap_add") or []),
            cap_drop=list(service.get("cap_drop") or []),
            user=service.get("run_as") or "",
            volumes=[
                protocol.Volume(name=v["name"], path=v["path"], read_only=bool(v.get("read_only")))
                for v in config.get("volumes") or []
            ],
        ),
    )


def _plugin_node(node: graphs.Node, plugin: dict, registry: dict) -> Any:
    config = node.config
    return protocol.PluginNode(
        id=node.id,
        image=images.pull_reference(
            registry["url"],
            config.get("image") or plugin["image"],
            config.get("tag") or plugin["tag"],
        ),
        config=protocol.PluginConfig(
            params=config.get("params") or {},
            timeout_s=plugin["timeout_s"],
            cpu=plugin["cpu"],
            memory_mb=plugin["memory_mb"],
            join_network=plugin["join_network"],
            secret_outputs=plugin_outputs.secret_outputs(plugin["param_schema"] or {}),
        ),
    )


async def _rows(table: Any, ids: set[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = await table.select().where(table.id.is_in(list(ids))).output(load_json=True).run()
    return {r["id"]: r for r in rows}


@dataclass(frozen=True)
class Unbuildable:
    """A deployment whose spec cannot be built now, and why: a secret that does not decrypt
    under this master key, a catalog entry gone."""

    deployment_id: int
    reason: str


async def spec_or_reason(deployment_id: int) -> protocol.DeploymentSpec | Unbuildable:
    """`build_spec`, or why not: one deployment that cannot be built must not keep the others
    of its node from being sent."""
    try:
        return await build_spec(deployment_id)
    except ShoalError as error:
        return Unbuildable(deployment_id, error.detail)


async def build_spec(deployment_id: int, *, with_secrets: bool = True) -> protocol.DeploymentSpec:
    dep = (
        await Deployment.select(
            Deployment.all_columns(),
            Deployment.pipeline_version.graph.as_alias("graph"),
            Deployment.pipeline_version.version.as_alias("version"),
        )
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
    if dep is None:
        raise Conflict(f"Deployment {deployment_id} no longer exists.")
    env = await Environment.select().where(Environment.id == dep["environment"]).first().run()
    for key in ("graph", "tags"):  # JSONB next to joined columns comes back as text
        if isinstance(dep[key], str):
            dep[key] = json.loads(dep[key])
    graph = graphs.decode(dep["graph"])
    services = await _rows(
        Service, {n.config["service_id"] for n in graph.nodes if n.kind == "service"}
    )
    plugins = await _rows(
        Plugin, {n.config["plugin_id"] for n in graph.nodes if n.kind == "plugin"}
    )
    used_registries = (
        {s["registry"] for s in services.values()}
        | {p["registry"] for p in plugins.values()}
        | {n.config["registry_id"] for n in graph.nodes if n.config.get("registry_id")}
    )
    registry_rows = await _rows(Registry, used_registries)

    nodes: list[Any] = []
    urls: dict[str, str] = {}
    for node in graph.nodes:
        if node.kind == "service":
            service = services.get(node.config["service_id"])
            if service is None:
                raise Conflict(
                    f"Service of pipeline node '{node.id}' was deleted from the catalog."
                )
            tag = dep["tags"].get(node.id) or service["tag"]
            spec_node = _service_node(node, service, registry_rows[service["registry"]], tag)
            if spec_node.config.port:
                urls[node.id] = ingress.url_of(
                    runtime.settings(),
                    node.id,
                    dep["name"],
                    env["name"],
                    env["base_domain"],
                    env["tls_mode"],
                )
        else:
            plugin = plugins.get(node.config["plugin_id"])
            if plugin is None:
                raise Conflict(f"Plugin of pipeline node '{node.id}' was deleted from the catalog.")
            # The registry frozen into the version at save wins over today's catalog entry.
            registry_id = node.config.get("registry_id") or plugin["registry"]
            spec_node = _plugin_node(node, plugin, registry_rows[registry_id])
        nodes.append(spec_node)
    made_at = dep["created_at"]
    await dataset_nodes.attach_datasets(dep["project"], made_at, graph, plugins, nodes)

    credentials = []
    for registry_id, row in registry_rows.items():
        if row["username"]:
            url, username, password = await registries.credentials(registry_id)
            credentials.append(
                protocol.RegistryCredential(
                    registry=_registry_host(url),
                    username=username,
                    password=password if with_secrets else "",
                )
            )
    return protocol.DeploymentSpec(
        id=dep["id"],
        name=dep["name"],
        environment=env["name"],
        limits=protocol.Limits(cpu=dep["cpu"], memory_mb=dep["memory_mb"]),
        pipeline_version=dep["version"],
        nodes=nodes,
        edges=[protocol.Edge(source=e.source, target=e.target) for e in graph.edges],
        urls=urls,
        secrets=await secrets.reveal_secrets(dep["project"]) if with_secrets else {},
        registry_credentials=credentials,
        outputs=await step_outputs.current_outputs(dep["id"]) if with_secrets else {},
    )
