"""Desired vs actual, after each full sync and periodically.

- a run or delete cut short by a crash (status deploying/deleting, no task): roll back and mark
  failed (the next sync re-deploys it when still desired), or finish the delete; only once the
  control plane has sent its desired state, since the rollbacks need the secrets and real
  outputs that only it holds after a restart (the sync itself usually does this first);
- a running deployment: start its stopped service containers, recreate missing ones;
- containers and networks with this agent's label that no live deployment owns: removed.
Deployments with a task in flight are left alone; their task owns them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import msgspec

from agent.deployments import INTERRUPTED
from agent.pipeline import start_service_node
from agent.plan import layers, plan_limits
from agent.protocol import ServiceNode
from agent.runtime.containers import list_own, remove_containers, start_existing
from agent.runtime.networks import network_name, remove_networks
from agent.teardown import teardown

if TYPE_CHECKING:
    from agent.app import App
    from agent.store import DeploymentRecord

log = logging.getLogger(__name__)


async def reconcile(app: App) -> None:
    if not await app.docker.ping():
        return
    deployments = app.deployments
    for deployment_id in [record.spec.id for record in app.store.all()]:
        # Re-read each time: earlier awaits in this loop give tasks time to change it.
        record = app.store.get(deployment_id)
        if record is None or deployments.busy(deployment_id):
            continue
        if record.status in ("deploying", "deleting") and not deployments.synced:
            continue
        if record.status == "deploying":
            async with deployments.locks[deployment_id]:
                record = app.store.get(deployment_id)
                if (
                    record is None
                    or record.status != "deploying"
                    or deployments.busy(deployment_id)
                ):
                    continue
                log.info("deployment %s was interrupted; rolling back", deployment_id)
                await teardown(app, deployment_id, record.spec)
                app.store.set_status(deployment_id, "failed", INTERRUPTED, retry_on_sync=True)
        elif record.status == "deleting":
            deployments.delete(deployment_id)
        elif record.status == "running":
            await repair(app, record.spec.id)
    await remove_orphans(app)


async def repair(app: App, deployment_id: int) -> None:
    async with app.deployments.locks[deployment_id]:
        record = app.store.get(deployment_id)
        if record is not None and record.status == "running":
            await _repair(app, record)


async def _repair(app: App, record: DeploymentRecord) -> None:
    spec = record.spec
    containers = {
        c.step: c for c in await app.docker.call(lambda _c: list_own(app.docker, spec.id))
    }
    outputs = {s.step: s.outputs for s in app.store.steps(spec.id) if s.status == "succeeded"}
    outputs.update(app.deployments.runs.outputs(spec.id))  # the real values, not the disk's
    limits = plan_limits(spec, layers(spec))
    ports = dict(record.ports)
    for node in spec.nodes:
        if not isinstance(node, ServiceNode):
            continue
        found = containers.get(node.id)
        try:
            if found is None:
                log.info("deployment %s: recreating missing service %s", spec.id, node.id)
                secrets = app.deployments.secrets.get(spec.id, {})
                await start_service_node(
                    app,
                    msgspec.structs.replace(spec, secrets=secrets),
                    node,
                    limits[node.id],
                    network_name(app.config.agent_id, spec.id),
                    outputs,
                    ports,
                )
            elif found.state in ("exited", "created", "dead"):
                log.info("deployment %s: starting stopped service %s", spec.id, node.id)
                await app.docker.call(lambda _c, cid=found.id: start_existing(app.docker, cid))
        except Exception as error:
            message = f"{node.id} could not be restored: {error}"
            log.warning("deployment %s: %s", spec.id, message)
            app.store.set_status(spec.id, "running", message, ports)
            app.deployments.emit_status(spec.id)
            return
    if ports != record.ports:
        app.store.set_status(spec.id, "running", ports=ports)
        app.deployments.emit_status(spec.id)


async def remove_orphans(app: App) -> None:
    docker_ = app.docker
    live = {
        record.spec.id
        for record in app.store.all()
        if record.status == "running" or app.deployments.busy(record.spec.id)
    }
    containers = await docker_.call(lambda _c: list_own(docker_))
    orphans = [
        c for c in containers if c.deployment_id not in live and not _busy(app, c.deployment_id)
    ]
    if orphans:
        log.info("removing %d orphan container(s)", len(orphans))
        await docker_.call(lambda _c: remove_containers(docker_, [c.id for c in orphans]))
    networks = await docker_.call(
        lambda c: c.networks.list(filters={"label": docker_.label_filter()})
    )
    for network in networks:
        raw = (network.attrs.get("Labels") or {}).get("shoal.deployment", "")
        owner = int(raw) if raw.isdigit() else None
        if owner not in live and not _busy(app, owner):
            await docker_.call(
                lambda _c, o=owner: remove_networks(docker_, o) if o is not None else 0
            )
            if owner is not None:
                app.store.forget_network(owner)


def _busy(app: App, deployment_id: int | None) -> bool:
    return deployment_id is not None and app.deployments.busy(deployment_id)
