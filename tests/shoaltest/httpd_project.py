"""Projects of busybox httpd services, made through the services as an admin would, for tests
that run real deployments through the control plane, the SAQ worker, the hub and an agent.

The images are named on the built-in Docker Hub entry and are already on the daemon, so the
agent never pulls them (a bare image name is pulled only when it is missing).

    project_id = await httpd_project(admin, "shop", services=("api", "web"))
    deployment_id = await deploy(admin, project_id, environment_id, "pr-1")
    row = await deployment_reaches(deployment_id, "running")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.actor import Actor
from core.services import catalog, pipelines, plugins, projects, registries, secrets
from core.services.deployments import DeploymentInput, create_deployment
from core.tables import Deployment, Registry
from shoaltest.hub import until

HTTPD = "httpd -f -p 8080 -h /www"


async def docker_hub_id() -> int:
    await registries.ensure_default_registry()
    row = await Registry.select(Registry.id).where(Registry.is_default.eq(True)).first().run()
    return row["id"]


async def httpd_project(
    admin: Actor,
    name: str,
    *,
    services: Sequence[str] = ("web",),
    plugin_steps: Sequence[tuple[str, str, dict[str, Any]]] = (),
    edges: Sequence[tuple[str, str]] = (),
    project_secrets: dict[str, str] | None = None,
    image: str = "shoal-test/busybox:latest",
) -> int:
    """A project whose pipeline has one httpd service per name in `services` (health-checked
    over HTTP) and one step per (node id, plugin image, params) in `plugin_steps`."""
    hub_id = await docker_hub_id()
    repository, _, tag = image.rpartition(":")
    service = await catalog.create_service(
        admin,
        catalog.ServiceInput(
            name=f"{name}-httpd",
            registry_id=hub_id,
            image=repository,
            tag=tag,
            port=8080,
            command=HTTPD,
            health_check=catalog.HealthCheck(kind="http", path="/"),
            cpu=0.1,
            memory_mb=32,
        ),
    )
    project = await projects.create_project(
        admin, projects.ProjectInput(name=name, cpu=0.5, memory_mb=256)
    )
    for key, value in (project_secrets or {}).items():
        await secrets.set_secret(admin, project.id, key, value)
    nodes: list[dict[str, Any]] = [
        {"id": node_id, "kind": "service", "config": {"service_id": service.id}}
        for node_id in services
    ]
    for node_id, plugin_image, params in plugin_steps:
        plugin_repository, _, plugin_tag = plugin_image.rpartition(":")
        plugin = await plugins.create_plugin(
            admin,
            plugins.PluginInput(
                name=f"{name}-{node_id}",
                registry_id=hub_id,
                image=plugin_repository,
                tag=plugin_tag,
                timeout_s=60,
                cpu=0.1,
                memory_mb=32,
            ),
        )
        nodes.append(
            {"id": node_id, "kind": "plugin", "config": {"plugin_id": plugin.id, "params": params}}
        )
    graph = {
        "nodes": nodes,
        "edges": [{"from": a, "to": b} for a, b in edges],
        "layout": {},
    }
    await pipelines.save_pipeline(admin, project.id, graph, "httpd services")
    return project.id


async def deploy(admin: Actor, project_id: int, environment_id: int, name: str) -> int:
    dep = await create_deployment(
        admin, DeploymentInput(project_id=project_id, environment_id=environment_id, name=name)
    )
    return dep.id


async def deployment_row(deployment_id: int) -> dict[str, Any]:
    return (
        await Deployment.select(
            Deployment.id, Deployment.status, Deployment.error, Deployment.ports
        )
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
        .run()
    )


async def deployment_reaches(
    deployment_id: int, *statuses: str, within: float = 90.0
) -> dict[str, Any]:
    """The deployment's row once its status is one of `statuses`."""

    async def reached() -> dict[str, Any] | None:
        row = await deployment_row(deployment_id)
        return row if row["status"] in statuses else None

    return await until(reached, within, every=0.2)
