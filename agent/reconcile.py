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
- containers and networks with this agent's label that no live deployment owns: removed.
Deployments with a task in flight are left alone; their task owns them.
"""

from __future__ import annotations

import logging
from typing import Any

from agent import status
from agent.deployments import Deployments
from agent.parts import Parts
from agent.plan import NodeLimits, layers, plan_limits
from agent.protocol import ServiceNode
from agent.runs import INTERRUPTED
from agent.runtime import APIError, NotFound
from agent.runtime.containers import OwnContainer
from agent.runtime.ports import is_taken
from agent.service_step import start_service_node
from agent.store import DeploymentRecord
from agent.teardown import teardown

log = logging.getLogger(__name__)

STOPPED = ("exited", "created", "dead")  # container states that a repair starts again


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
            restored |= await _restore(
                parts, record, node, containers.get(node.id), limits[node.id], outputs, ports
            )
        except Exception as error:
            message = f"{node.id} could not be restored: {error}"
            log.warning("deployment %s: %s", spec.id, message)
            status.move(parts, spec.id, "running", message, ports)
            return
    if restored or ports != record.ports or record.error:
        status.move(parts, spec.id, "running", ports=ports)


async def _restore(
    parts: Parts,
    record: DeploymentRecord,
    node: ServiceNode,
    found: OwnContainer | None,
    limits: NodeLimits,
    outputs: dict[str, dict[str, Any]],
    ports: dict[str, int],
) -> bool:
    """One service up again; `ports[node.id]` is where it publishes now. True when it had to
    be started or created."""
    engine, spec, port = parts.engine, record.spec, node.config.port
    if found is not None and found.state in STOPPED:
        log.info("deployment %s: starting stopped service %s", spec.id, node.id)
        try:
            await engine.start_existing(found.id)
        except APIError as error:
            # Replaced only when it never can start as it is: its host port is someone else's
            # now, or its network (or itself) is gone. Anything else is retried as it is.
            if not (is_taken(error) or isinstance(error, NotFound)):
                raise
            log.info("deployment %s: %s cannot start (%s); replacing it", spec.id, node.id, error)
            found = None
        else:
            if port:
                _note(ports, node.id, await engine.published_port(found.id, port))
            return True
    if found is None:
        log.info("deployment %s: creating service %s again", spec.id, node.id)
        await start_service_node(
            engine,
            parts.config,
            parts.memory.complete(spec),
            node,
            limits,
            await _network(parts, spec.id),
            outputs,
            ports,
            ports.get(node.id),
        )
        return True
    if port:  # running: Docker may have brought it back on another port (an older container)
        _note(ports, node.id, found.published.get(port))
    return False


def _note(ports: dict[str, int], step: str, host_port: int | None) -> None:
    if host_port:
        ports[step] = host_port


async def _network(parts: Parts, deployment_id: int) -> str:
    """The deployment's network, created again (with a fresh subnet) if it is gone."""
    config, store = parts.config, parts.store
    name, subnet = await parts.engine.create_network(
        deployment_id, config.subnet_pool, config.subnet_prefix, store.subnets()
    )
    store.save_network(deployment_id, name, subnet)
    return name


async def remove_orphans(parts: Parts, deployments: Deployments) -> None:
    engine = parts.engine

    def owned(deployment_id: int | None) -> bool:
        return deployment_id is not None and (
            deployment_id in live or deployments.busy(deployment_id)
        )

    live = {
        record.spec.id
        for record in parts.store.all()
        if record.status == "running" or deployments.busy(record.spec.id)
    }
    orphans = [c for c in await engine.list_own() if not owned(c.deployment_id)]
    if orphans:
        log.info("removing %d orphan container(s)", len(orphans))
        await engine.remove_containers([c.id for c in orphans])
    for owner in await engine.network_owners():
        if owner is not None and not owned(owner):
            await engine.remove_networks(owner)
            parts.store.forget_network(owner)
