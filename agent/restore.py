"""One service of a running (or waking) deployment up again: a stopped container started, on
its network and at the host port named in its config (runtime/ports.py), so its URLs stay; one
that cannot start (its port taken meanwhile, its network gone) or is missing created anew, at
its old port when that is still free. Reconcile's repair and the wake (naps.py) both use it."""

from __future__ import annotations

import logging
from typing import Any

from agent.parts import Parts
from agent.plan import NodeLimits
from agent.protocol import ServiceNode
from agent.runtime import APIError, NotFound
from agent.runtime.containers import OwnContainer
from agent.runtime.ports import is_taken
from agent.service_step import start_service_node
from agent.store import DeploymentRecord

log = logging.getLogger(__name__)

STOPPED = ("exited", "created", "dead")  # container states that a repair starts again


async def restore_service(
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
