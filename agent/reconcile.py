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
from typing import TYPE_CHECKING, Any

import msgspec

from agent.deployments import INTERRUPTED
from agent.pipeline import start_service_node
from agent.plan import NodeLimits, layers, plan_limits
from agent.protocol import ServiceNode
from agent.runtime import APIError, NotFound
from agent.runtime.containers import (
    OwnContainer,
    list_own,
    published_port,
    remove_containers,
    start_existing,
)
from agent.runtime.networks import create_network, remove_networks
from agent.runtime.ports import is_taken
from agent.teardown import teardown

if TYPE_CHECKING:
    from agent.app import App
    from agent.store import DeploymentRecord

log = logging.getLogger(__name__)

STOPPED = ("exited", "created", "dead")  # container states that a repair starts again


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
    ports, restored = dict(record.ports), False
    for node in spec.nodes:
        if not isinstance(node, ServiceNode):
            continue
        try:
            restored |= await _restore(
                app, record, node, containers.get(node.id), limits[node.id], outputs, ports
            )
        except Exception as error:
            message = f"{node.id} could not be restored: {error}"
            log.warning("deployment %s: %s", spec.id, message)
            app.store.set_status(spec.id, "running", message, ports)
            app.deployments.emit_status(spec.id)
            return
    if restored or ports != record.ports or record.error:
        app.store.set_status(spec.id, "running", ports=ports)
        app.deployments.emit_status(spec.id)


async def _restore(
    app: App,
    record: DeploymentRecord,
    node: ServiceNode,
    found: OwnContainer | None,
    limits: NodeLimits,
    outputs: dict[str, dict[str, Any]],
    ports: dict[str, int],
) -> bool:
    """One service up again; `ports[node.id]` is where it publishes now. True when it had to
    be started or created."""
    docker_, spec, port = app.docker, record.spec, node.config.port
    if found is not None and found.state in STOPPED:
        log.info("deployment %s: starting stopped service %s", spec.id, node.id)
        try:
            await docker_.call(lambda _c: start_existing(docker_, found.id))
        except APIError as error:
            # Replaced only when it never can start as it is: its host port is someone else's
            # now, or its network (or itself) is gone. Anything else is retried as it is.
            if not (is_taken(error) or isinstance(error, NotFound)):
                raise
            log.info("deployment %s: %s cannot start (%s); replacing it", spec.id, node.id, error)
            found = None
        else:
            if port:
                now = await docker_.call(lambda _c: published_port(docker_, found.id, port))
                _note(ports, node.id, now)
            return True
    if found is None:
        log.info("deployment %s: creating service %s again", spec.id, node.id)
        secrets = app.deployments.secrets.get(spec.id, {})
        await start_service_node(
            app,
            msgspec.structs.replace(spec, secrets=secrets),
            node,
            limits,
            await _network(app, spec.id),
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


async def _network(app: App, deployment_id: int) -> str:
    """The deployment's network, created again (with a fresh subnet) if it is gone."""
    config, docker_ = app.config, app.docker
    reserved = app.store.subnets()
    name, subnet = await docker_.call(
        lambda _c: create_network(
            docker_, deployment_id, config.subnet_pool, config.subnet_prefix, reserved
        )
    )
    app.store.save_network(deployment_id, name, subnet)
    return name


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
