"""Roll back and remove a deployment: plugin `rollback` calls for the plugin steps that had
succeeded, newest first, then every container, network and volume it owns (found
by label, so leftovers of a crashed run go too). Best effort and idempotent: a failing rollback
call is reported and the removal goes on.

A rollback gets exactly the params and inputs its apply got (run_memory.py). After an agent
restart they are resolved again from the real outputs the control plane sent back: the disk
holds only the steps' statuses and their insensitive outputs."""

from __future__ import annotations

import logging
import time

from agent.parts import Parts
from agent.plan import DEFAULT_PLUGIN_CPU, DEFAULT_PLUGIN_MEMORY_MB, NodeLimits, predecessors
from agent.plugins import plugin_document, run_plugin
from agent.protocol import DeploymentSpec, PluginNode, StepFinished, StepStarted
from agent.protocol.redaction import secret_texts
from agent.references import resolve, scope_for
from agent.step_log import StepLog

log = logging.getLogger(__name__)


async def teardown(parts: Parts, deployment_id: int, spec: DeploymentSpec | None) -> None:
    if spec is not None:
        await rollback_plugins(parts, spec)
    engine = parts.engine
    containers = await engine.list_own(deployment_id)
    await engine.remove_containers([c.id for c in containers])
    await engine.remove_networks(deployment_id)
    await engine.remove_volumes(deployment_id)
    parts.store.forget_network(deployment_id)


async def rollback_plugins(parts: Parts, spec: DeploymentSpec) -> None:
    engine, emit, memory = parts.engine, parts.emit, parts.memory
    spec = memory.complete(spec)
    steps = parts.store.steps(spec.id)
    outputs = {step.step: step.outputs for step in steps if step.status == "succeeded"}
    outputs.update(memory.outputs(spec.id))  # the real values over the disk's partial copy
    nodes = {node.id: node for node in spec.nodes}
    network = engine.network_name(spec.id)
    hidden = [*spec.secrets.values()]  # masked in the rollbacks' stderr: secrets, secret outputs
    for node_id, values in outputs.items():
        owner = nodes.get(node_id)
        if isinstance(owner, PluginNode):
            hidden.extend(secret_texts(values, owner.config.secret_outputs))
    for step in reversed(steps):
        node = nodes.get(step.step)
        if step.kind != "plugin" or step.status != "succeeded" or not isinstance(node, PluginNode):
            continue
        emit(StepStarted(deployment_id=spec.id, step=node.id, action="rollback"))
        started, error, step_log = time.monotonic(), "", StepLog(hidden)
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
            await run_plugin(
                engine, emit, spec, node, "rollback", document, limits, network, step_log
            )
        except Exception as failure:  # one failed rollback must not stop the others
            error = f"{node.id} rollback: {failure}"
            log.warning("deployment %s: %s", spec.id, error)
        parts.store.record_step(spec.id, node.id, "plugin", "rolled_back", error=error)
        emit(
            StepFinished(
                deployment_id=spec.id,
                step=node.id,
                action="rollback",
                ok=not error,
                error=error,
                duration_s=round(time.monotonic() - started, 3),
                log=step_log.text(),
            )
        )
