"""Desired vs actual, after each full sync and periodically.

- a run or delete cut short by a crash (status deploying/deleting, no task): roll back and mark
  failed (the next sync re-deploys it when still desired), or finish the delete; only once the
  control plane has sent its desired state, since the rollbacks need the secrets and real
  outputs that only it holds after a restart (the sync itself usually does this first);
- a running deployment: its services back as they were, after a node reboot (dockerd stopped
  and started, its containers stopped), a container or network removed by hand. A stopped
  container is started again, on its network and at the host port named in its config
  (runtime/ports.py), so its URLs stay; one that cannot start (its port taken meanwhile, its
  network gone) or is missing is created anew, at its old port when that is still free. Where
  a service publishes now goes to the control plane (the ingress routes to it);
- a sleeping deployment: its containers stay stopped (a wake cut short by a restart, or a
  container started by hand, is stopped again: never half-started);
- containers and networks with this agent's label that no live deployment owns: removed.
Deployments with a task in flight are left alone; their task owns them.
"""

from __future__ import annotations

import logging

from agent import naps, status
from agent.deployments import Deployments
from agent.parts import Parts
from agent.plan import layers, plan_limits
from agent.protocol import ServiceNode
from agent.restore import restore_service
from agent.runs import INTERRUPTED
from agent.store import DeploymentRecord
from agent.teardown import teardown

log = logging.getLogger(__name__)


async def reconcile(parts: Parts, deployments: Deployments) -> None:
    if not await parts.engine.ping():
        return
    store, work = parts.store, deployments.work
    for deployment_id in [record.spec.id for record in store.all()]:
        # Re-read each time: earlier awaits in this loop give tasks time to change it.
        record = store.get(deployment_id)
        if record is None or work.busy(deployment_id):
            continue
        if record.status in ("deploying", "deleting") and not deployments.synced:
            continue
        if record.status == "deploying":
            async with work.locks[deployment_id]:
                record = store.get(deployment_id)
                if record is None or record.status != "deploying" or work.busy(deployment_id):
                    continue
                log.info("deployment %s was interrupted; rolling back", deployment_id)
                await teardown(parts, deployment_id, record.spec)
                status.move(
                    parts, deployment_id, "failed", INTERRUPTED, retry_on_sync=True, announce=False
                )
        elif record.status == "deleting":
            deployments.delete(deployment_id)
        elif record.status == "running":
            await repair(parts, deployments, record.spec.id)
        elif record.status == "sleeping":  # stays asleep: a wake cut short is undone here
            async with work.locks[deployment_id]:
                await naps.settle(parts, deployment_id)
    await remove_orphans(parts, deployments)


async def repair(parts: Parts, deployments: Deployments, deployment_id: int) -> None:
    async with deployments.work.locks[deployment_id]:
        record = parts.store.get(deployment_id)
        if record is not None and record.status == "running":
            await _repair(parts, record)


async def _repair(parts: Parts, record: DeploymentRecord) -> None:
    spec = record.spec
    containers = {c.step: c for c in await parts.engine.list_own(spec.id)}
    steps = parts.store.steps(spec.id)
    outputs = {s.step: s.outputs for s in steps if s.status == "succeeded"}
    outputs.update(parts.memory.outputs(spec.id))  # the real values, not the disk's
    limits = plan_limits(spec, layers(spec))
    ports, restored = dict(record.ports), False
    for node in spec.nodes:
        if not isinstance(node, ServiceNode):
            continue
        try:
            restored |= await restore_service(
                parts, record, node, containers.get(node.id), limits[node.id], outputs, ports
            )
        except Exception as error:
            message = f"{node.id} could not be restored: {error}"
            log.warning("deployment %s: %s", spec.id, message)
            status.move(parts, spec.id, "running", message, ports)
            return
    if restored or ports != record.ports or record.error:
        status.move(parts, spec.id, "running", ports=ports)


async def remove_orphans(parts: Parts, deployments: Deployments) -> None:
    engine = parts.engine

    def owned(deployment_id: int | None) -> bool:
        return deployment_id is not None and (
            deployment_id in live or deployments.busy(deployment_id)
        )

    live = {
        record.spec.id
        for record in parts.store.all()
        if record.status in ("running", "sleeping") or deployments.busy(record.spec.id)
    }
    orphans = [c for c in await engine.list_own() if not owned(c.deployment_id)]
    if orphans:
        log.info("removing %d orphan container(s)", len(orphans))
        await engine.remove_containers([c.id for c in orphans])
    for owner in await engine.network_owners():
        if owner is not None and not owned(owner):
            await engine.remove_networks(owner)
            parts.store.forget_network(owner)
