"""Sleep and wake: the two pieces of work besides deploy and delete, each run by work.Work
under the deployment's lock.

- sleep: stop a running deployment's containers (kept, with their volumes, network and
  published ports named in their config) and report it `sleeping`;
- wake: start them again layer by layer, a layer's services at once (a missing one is
  created anew), wait until each answers its health check, and report it `running`. A wake
  that fails stops everything it started and reports `sleeping` with the error: never
  half-started. The record stays `sleeping` until the very end, so an agent restarted
  mid-wake finds it sleeping and reconcile stops what was started (`settle`).
"""

from __future__ import annotations

import asyncio
import logging

from agent import status
from agent.health import wait_healthy
from agent.parts import Parts
from agent.plan import layers, plan_limits
from agent.protocol import HealthCheck, ServiceNode
from agent.restore import restore_service

log = logging.getLogger(__name__)


async def sleep(parts: Parts, deployment_id: int) -> None:
    record = parts.store.get(deployment_id)
    if record is None or record.status != "running":
        status.report(parts, deployment_id)  # the control plane hears what it is instead
        return
    try:
        await settle(parts, deployment_id)
    except Exception as error:  # a stopped half comes back through reconcile's repair
        log.warning("deployment %s: sleep failed: %s", deployment_id, error)
        status.move(parts, deployment_id, "running", f"sleep failed: {error}", record.ports)
        return
    status.move(parts, deployment_id, "sleeping", "", record.ports)


async def wake(parts: Parts, deployment_id: int) -> None:
    record = parts.store.get(deployment_id)
    if record is None or record.status != "sleeping":
        status.report(parts, deployment_id)
        return
    spec, engine = record.spec, parts.engine
    ports = dict(record.ports)
    try:
        containers = {c.step: c for c in await engine.list_own(spec.id)}
        outputs = {s.step: s.outputs for s in parts.store.steps(spec.id) if s.status == "succeeded"}
        outputs.update(parts.memory.outputs(spec.id))
        order = layers(spec)
        limits = plan_limits(spec, order)

        async def up(node: ServiceNode) -> None:
            found = containers.get(node.id)
            await restore_service(parts, record, node, found, limits[node.id], outputs, ports)
            host_port = ports.get(node.id)
            if found is not None and node.config.port and host_port:
                await wait_healthy(
                    parts.config.health_host,
                    host_port,
                    node.config.health_check or HealthCheck(),
                    lambda: engine.exited(spec.id, node.id),
                )

        for layer in order:  # a layer's services at once, each layer after the one it needs
            await asyncio.gather(*(up(n) for n in layer if isinstance(n, ServiceNode)))
    except Exception as error:
        log.warning("deployment %s: wake failed: %s", deployment_id, error)
        try:
            await settle(parts, deployment_id)
        except Exception as failure:  # reconcile stops them once Docker answers again
            log.warning("deployment %s: could not stop after a failed wake: %s", spec.id, failure)
        status.move(parts, deployment_id, "sleeping", f"wake failed: {error}", record.ports)
        return
    status.move(parts, deployment_id, "running", "", ports)


async def settle(parts: Parts, deployment_id: int) -> None:
    """Stop whatever of the deployment runs (a sleeping one's containers stay stopped)."""
    running = [c.id for c in await parts.engine.list_own(deployment_id) if c.state == "running"]
    if running:
        await parts.engine.stop_containers(running)
