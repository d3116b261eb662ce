"""Run a deployment's graph layer by layer: a node starts when all its predecessors succeeded.

Service nodes start a container on the deployment network and wait until healthy; plugin nodes
run their image once (plugins.py). References are resolved just before each node runs. The
first failure cancels the rest of its layer and raises StepFailed; rolling back is the caller's
job (teardown.py), so a cancel and a failure end the same way.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from agent.health import Unhealthy, wait_healthy
from agent.plan import NodeLimits, layers, plan_limits, predecessors
from agent.plugins import PluginFailed, plugin_document, run_plugin
from agent.protocol import (
    DeploymentSpec,
    HealthCheck,
    PluginNode,
    PullProgress,
    ServiceNode,
    StepFinished,
    StepStarted,
)
from agent.protocol.redaction import insensitive_outputs, secret_texts
from agent.references import UnresolvedReference, resolve, resolve_text, scope_for
from agent.run_memory import Applied
from agent.runtime import APIError, DockerUnavailable
from agent.runtime.containers import container_name, start_service
from agent.runtime.images import ImagePullError, ensure_image
from agent.runtime.networks import PoolExhausted, create_network
from agent.step_log import StepLog

if TYPE_CHECKING:
    from agent.app import App

# What a step failure can be; anything else is a bug and is reported as such.
STEP_ERRORS = (
    PluginFailed,
    Unhealthy,
    UnresolvedReference,
    ImagePullError,
    APIError,
    DockerUnavailable,
    PoolExhausted,
    OSError,
)


class StepFailed(Exception):
    pass


class PipelineRun:
    def __init__(
        self, app: App, spec: DeploymentSpec, previous_ports: dict[str, int] | None = None
    ) -> None:
        self.app, self.spec = app, spec
        self.previous_ports = previous_ports or {}  # a redeploy keeps its services' ports
        self.outputs: dict[str, dict[str, Any]] = {}
        self.applied: dict[str, Applied] = {}
        self.secret_texts: list[str] = []  # values of earlier steps' secret outputs
        self.ports: dict[str, int] = {}
        self.network = ""

    async def run(self) -> dict[str, int]:
        """Run every node; return the published host port of each service node."""
        order = layers(self.spec)
        limits = plan_limits(self.spec, order)
        config = self.app.config
        reserved = self.app.store.subnets()
        try:
            self.network, subnet = await self.app.docker.call(
                lambda _c: create_network(
                    self.app.docker,
                    self.spec.id,
                    config.subnet_pool,
                    config.subnet_prefix,
                    reserved,
                )
            )
        except STEP_ERRORS as error:
            raise StepFailed(f"network: {error}") from error
        self.app.store.save_network(self.spec.id, self.network, subnet)
        for layer in order:
            try:
                async with asyncio.TaskGroup() as group:
                    for node in layer:
                        group.create_task(self.run_node(node, limits[node.id]))
            except BaseExceptionGroup as failures:
                step_failures = [e for e in failures.exceptions if isinstance(e, StepFailed)]
                raise (step_failures or failures.exceptions)[0] from None
        return self.ports

    async def run_node(self, node: ServiceNode | PluginNode, limits: NodeLimits) -> None:
        app, spec = self.app, self.spec
        kind = "service" if isinstance(node, ServiceNode) else "plugin"
        app.events.emit(StepStarted(deployment_id=spec.id, step=node.id))
        app.store.record_step(spec.id, node.id, kind, "running")
        started = time.monotonic()
        # A plugin's stderr, kept for the control plane with the secrets known so far masked.
        log = StepLog([*spec.secrets.values(), *self.secret_texts])
        try:
            await self.pull(node.image)
            if isinstance(node, ServiceNode):
                outputs = await self.start_service(node, limits)
            else:
                outputs = await self.apply_plugin(node, limits, log)
        except STEP_ERRORS as error:
            message = f"{node.id}: {error}"
            app.store.record_step(spec.id, node.id, kind, "failed", error=message)
            app.events.emit(
                StepFinished(
                    deployment_id=spec.id,
                    step=node.id,
                    ok=False,
                    error=message,
                    duration_s=_since(started),
                    log=log.text(),
                )
            )
            raise StepFailed(message) from error
        self.outputs[node.id] = outputs
        secret_keys = node.config.secret_outputs if isinstance(node, PluginNode) else []
        own_secrets = secret_texts(outputs, secret_keys)
        self.secret_texts.extend(own_secrets)
        # The real outputs live in memory (rollbacks need them); the disk gets only those that
        # hold no secret, even when a plugin echoes one back inside a URL.
        app.deployments.runs.record(spec.id, node.id, outputs, self.applied.get(node.id))
        sensitive = [*spec.secrets.values(), *self.secret_texts]
        kept = insensitive_outputs(outputs, secret_keys, sensitive)
        app.store.record_step(spec.id, node.id, kind, "succeeded", kept)
        app.events.emit(
            StepFinished(
                deployment_id=spec.id,
                step=node.id,
                ok=True,
                outputs=outputs,
                duration_s=_since(started),
                log=log.text(own_secrets),
            )
        )

    async def pull(self, image: str) -> None:
        loop = asyncio.get_running_loop()

        def progress(status: str) -> None:
            event = PullProgress(deployment_id=self.spec.id, image=image, status=status)
            loop.call_soon_threadsafe(self.app.events.emit, event)

        await self.app.docker.call(
            lambda _c: ensure_image(
                self.app.docker, image, self.spec.registry_credentials, progress
            )
        )

    async def start_service(self, node: ServiceNode, limits: NodeLimits) -> dict[str, Any]:
        return await start_service_node(
            self.app,
            self.spec,
            node,
            limits,
            self.network,
            self.outputs,
            self.ports,
            self.previous_ports.get(node.id),
        )

    async def apply_plugin(
        self, node: PluginNode, limits: NodeLimits, log: StepLog
    ) -> dict[str, Any]:
        scope = scope_for(self.spec, self.outputs)
        params = resolve(node.config.params, scope)
        inputs = {pred: self.outputs.get(pred, {}) for pred in predecessors(self.spec, node.id)}
        self.applied[node.id] = Applied(params, inputs)  # what its rollback will get
        document = plugin_document(self.spec, "apply", params, inputs)
        return await run_plugin(
            self.app, self.spec, node, "apply", document, limits, self.network, log
        )


async def start_service_node(
    app: App,
    spec: DeploymentSpec,
    node: ServiceNode,
    limits: NodeLimits,
    network: str,
    outputs: dict[str, dict[str, Any]],
    ports: dict[str, int],
    previous_port: int | None = None,
) -> dict[str, Any]:
    """Start (or recreate) one service container and wait until it is healthy; its host port
    goes into `ports` (`previous_port` again when it is still free)."""
    config, scope = node.config, scope_for(spec, outputs)
    env = {key: resolve_text(value, scope) for key, value in config.env.items()}
    command: Any = config.command
    if isinstance(command, str):
        command = resolve_text(command, scope)
    elif isinstance(command, list):
        command = [resolve_text(part, scope) for part in command]
    host_port = await app.docker.call(
        lambda _c: start_service(
            app.docker,
            deployment_id=spec.id,
            step=node.id,
            image=node.image,
            network=network,
            env=env,
            command=command,
            port=config.port,
            publish_address=app.config.publish_address,
            cpu=limits.cpu,
            memory_mb=limits.memory_mb,
            cap_add=config.cap_add,
            cap_drop=config.cap_drop,
            user=config.user,
            host_port=previous_port,
        )
    )
    name = container_name(app.config.agent_id, spec.id, node.id)
    if host_port is not None:
        ports[node.id] = host_port
        check = config.health_check or HealthCheck()
        await wait_healthy(
            app.config.health_host, host_port, check, lambda: container_died(app, name)
        )
    result: dict[str, Any] = {"host": node.id}
    if config.port:
        result.update(port=config.port, published_port=host_port)
    return result


async def container_died(app: App, name: str) -> str | None:
    state = await app.docker.call(lambda c: c.api.inspect_container(name)["State"])
    if state.get("Running") and not state.get("Restarting"):
        return None
    logs = await app.docker.call(lambda c: c.api.logs(name, tail=5).decode(errors="replace"))
    code = state.get("ExitCode")
    return f"container exited (code {code}); last output: {logs.strip()[-500:] or '(none)'}"


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
