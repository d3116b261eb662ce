"""Run a deployment's graph layer by layer: a node starts when all its predecessors succeeded.

Service nodes start a container on the deployment network and wait until healthy; plugin nodes
run their image once (plugins.py). References are resolved just before each node runs. The
first failure cancels the rest of its layer and raises StepFailed; rolling back is the caller's
job (teardown.py), so a cancel and a failure end the same way.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from agent.datasets import dataset_for
from agent.health import Unhealthy
from agent.parts import Parts
from agent.plan import NodeLimits, layers, plan_limits, predecessors
from agent.plugins import PluginFailed, plugin_document, run_plugin
from agent.protocol import (
    DeploymentSpec,
    PluginNode,
    PullProgress,
    ServiceNode,
    StepFinished,
    StepStarted,
)
from agent.protocol.redaction import insensitive_outputs, secret_texts
from agent.references import UnresolvedReference, resolve, scope_for
from agent.run_memory import Applied
from agent.runtime import APIError, DockerUnavailable
from agent.runtime.images import ImagePullError
from agent.runtime.networks import PoolExhausted
from agent.service_step import start_service_node
from agent.step_log import StepLog

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
        self, parts: Parts, spec: DeploymentSpec, previous_ports: dict[str, int] | None = None
    ) -> None:
        self.parts, self.spec = parts, spec
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
        config, store = self.parts.config, self.parts.store
        try:
            self.network, subnet = await self.parts.engine.create_network(
                self.spec.id, config.subnet_pool, config.subnet_prefix, store.subnets()
            )
        except STEP_ERRORS as error:
            raise StepFailed(f"network: {error}") from error
        store.save_network(self.spec.id, self.network, subnet)
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
        spec, store, emit = self.spec, self.parts.store, self.parts.emit
        kind = "service" if isinstance(node, ServiceNode) else "plugin"
        emit(StepStarted(deployment_id=spec.id, step=node.id))
        store.record_step(spec.id, node.id, kind, "running")
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
            store.record_step(spec.id, node.id, kind, "failed", error=message)
            emit(
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
        self.parts.memory.record(spec.id, node.id, outputs, self.applied.get(node.id))
        sensitive = [*spec.secrets.values(), *self.secret_texts]
        kept = insensitive_outputs(outputs, secret_keys, sensitive)
        store.record_step(spec.id, node.id, kind, "succeeded", kept)
        emit(
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
            loop.call_soon_threadsafe(self.parts.emit, event)

        await self.parts.engine.ensure_image(image, self.spec.registry_credentials, progress)

    async def start_service(self, node: ServiceNode, limits: NodeLimits) -> dict[str, Any]:
        return await start_service_node(
            self.parts.engine,
            self.parts.config,
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
        config = self.parts.config
        data, mounts = dataset_for(config.data_dir, node, config.host_data_dir)
        document = plugin_document(self.spec, "apply", params, inputs, data)
        engine, emit = self.parts.engine, self.parts.emit
        return await run_plugin(
            engine, emit, self.spec, node, "apply", document, limits, self.network, log,
            mounts=mounts,
        )  # fmt: skip


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
