"""Start (or re-create) one service of a deployment and wait until it answers: the pipeline
runner's service step, and reconcile's repair of a service that is gone."""

from __future__ import annotations

from typing import Any

from agent.config import AgentConfig
from agent.engine import Engine
from agent.health import wait_healthy
from agent.plan import NodeLimits
from agent.protocol import DeploymentSpec, HealthCheck, ServiceNode
from agent.references import resolve_text, scope_for


async def start_service_node(
    engine: Engine,
    config: AgentConfig,
    spec: DeploymentSpec,
    node: ServiceNode,
    limits: NodeLimits,
    network: str,
    outputs: dict[str, dict[str, Any]],
    ports: dict[str, int],
    previous_port: int | None = None,
) -> dict[str, Any]:
    """Start the service and wait until it is healthy; its host port goes into `ports`
    (`previous_port` again when it is still free). Returns the step's outputs."""
    service, scope = node.config, scope_for(spec, outputs)
    env = {key: resolve_text(value, scope) for key, value in service.env.items()}
    command: Any = service.command
    if isinstance(command, str):
        command = resolve_text(command, scope)
    elif isinstance(command, list):
        command = [resolve_text(part, scope) for part in command]
    entrypoint: Any = service.entrypoint
    if isinstance(entrypoint, str):
        entrypoint = resolve_text(entrypoint, scope)
    elif isinstance(entrypoint, list):
        entrypoint = [resolve_text(part, scope) for part in entrypoint]
    host_port = await engine.start_service(
        deployment_id=spec.id,
        step=node.id,
        image=node.image,
        network=network,
        env=env,
        command=command,
        port=service.port,
        publish_address=config.publish_address,
        cpu=limits.cpu,
        memory_mb=limits.memory_mb,
        cap_add=service.cap_add,
        cap_drop=service.cap_drop,
        user=service.user,
        host_port=previous_port,
        volumes=service.volumes,
        entrypoint=entrypoint,
    )
    if host_port is not None:
        ports[node.id] = host_port
        await wait_healthy(
            config.health_host,
            host_port,
            service.health_check or HealthCheck(),
            lambda: engine.exited(spec.id, node.id),
        )
    result: dict[str, Any] = {"host": node.id}
    if service.port:
        result.update(port=service.port, published_port=host_port)
    return result
