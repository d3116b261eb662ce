"""Roll back and remove a deployment: plugin `rollback` calls for the plugin steps that had
succeeded, newest first, then every container, network and anonymous volume it owns (found
by label, so leftovers of a crashed run go too). Best effort and idempotent: a failing rollback
call is reported and the removal goes on.

A rollback gets exactly the params and inputs its apply got (run_memory.py). After an agent
restart they are resolved again from the real outputs the control plane sent back: the disk
holds only the steps' statuses and their insensitive outputs."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import msgspec

from agent.plan import DEFAULT_PLUGIN_CPU, DEFAULT_PLUGIN_MEMORY_MB, NodeLimits, predecessors
from agent.plugins import plugin_document, run_plugin
from agent.protocol import DeploymentSpec, PluginNode, StepFinished, StepStarted
from agent.protocol.redaction import secret_texts
from agent.references import resolve, scope_for
from agent.runtime.containers import list_own, remove_containers
from agent.runtime.networks import network_name, remove_networks
from agent.step_log import StepLog

if TYPE_CHECKING:
    from agent.app import App

log = logging.getLogger(__name__)


async def teardown(app: App, deployment_id: int, spec: DeploymentSpec | None) -> None:
    if spec is not None:
        await rollback_plugins(app, spec)
    docker_ = app.docker
    containers = await docker_.call(lambda _c: list_own(docker_, deployment_id))
    await docker_.call(lambda _c: remove_containers(docker_, [c.id for c in containers]))
    await docker_.call(lambda _c: remove_networks(docker_, deployment_id))
    app.store.forget_network(deployment_id)


async def rollback_plugins(app: App, spec: DeploymentSpec) -> None:
    secrets = app.deployments.secrets.get(spec.id, {})
    spec = msgspec.structs.replace(spec, secrets=secrets)
    steps = app.store.steps(spec.id)
    memory = app.deployments.runs
    outputs = {step.step: step.outputs for step in steps if step.status == "succeeded"}
    outputs.update(memory.outputs(spec.id))  # the real values over the disk's partial copy
    nodes = {node.id: node for node in spec.nodes}
    network = network_name(app.config.agent_id, spec.id)
    hidden = [*secrets.values()]  # masked in the rollbacks' stderr: secrets, secret outputs
    for node_id, values in outputs.items():
        owner = nodes.get(node_id)
        if isinstance(owner, PluginNode):
            hidden.extend(secret_texts(values, owner.config.secret_outputs))
    for step in reversed(steps):
        node = nodes.get(step.step)
        if step.kind != "plugin" or step.status != "succeeded" or not isinstance(node, PluginNode):
            continue
        app.events.emit(StepStarted(deployment_id=spec.id, step=node.id, action="rollback"))
        started, error, log = time.monotonic(), "", StepLog(hidden)
        try:
            applied = memory.applied(spec.id, node.id)
            if applied is not None:
                params, inputs = applied.params, applied.inputs
            else:
                params = resolve(node.config.params, scope_for(spec, outputs))
                inputs = {pred: outputs.get(pred, {}) for pred in predecessors(spec, node.id)}
            document = plugin_document(spec, "rollback", params, inputs)
            limits = NodeLimits(
                min(node.config.cpu or DEFAULT_PLUGIN_CPU, spec.limits.cpu),
                min(node.config.memory_mb or DEFAULT_PLUGIN_MEMORY_MB, spec.limits.memory_mb),
            )
            await run_plugin(app, spec, node, "rollback", document, limits, network, log)
        except Exception as failure:  # one failed rollback must not stop the others
            error = f"{node.id} rollback: {failure}"
            log.warning("deployment %s: %s", spec.id, error)
        app.store.record_step(spec.id, node.id, "plugin", "rolled_back", error=error)
        app.events.emit(
            StepFinished(
                deployment_id=spec.id,
                step=node.id,
                action="rollback",
                ok=not error,
                error=error,
                duration_s=round(time.monotonic() - started, 3),
                log=log.text(),
            )
        )
