"""Sleep and wake a deployment (issue 20).

Sleep: the agent stops its containers (kept, volumes and all) and reports `sleeping`; from then
on its CPU and memory no longer count as used on its node (core.domain.status.LIVE leaves
`sleeping` out), they are "reserved to wake". Wake: a compare-and-set `sleeping → waking`
(core.services.lifecycle.move) under the node's row lock, after checking that the node has
room for it again, so a storm of wake requests makes exactly one wake and two wakes never
overcommit a node. The agent reports `running` once every service answers its health check,
or `sleeping` with the error (never half-started). The auto-cleanup countdown keeps running.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from agent import protocol as p
from core.actor import Actor
from core.domain import status
from core.domain.capacity import fits
from core.errors import AgentUnavailable, CapacityExceeded, Conflict, ShoalError
from core.services import lifecycle
from core.services.audit import Target, audited
from core.services.deployment_actions import _for_change
from core.services.deployments import DeploymentView, get_deployment
from core.services.scheduling import load_of_node
from core.tables import Deployment, Node

log = logging.getLogger("shoal.naps")

AWAKE_OR_ASLEEP = (status.SLEEPING, status.WAKING, status.RUNNING)
WakeResult = Literal["started", "waking", "running", "no_room", "unavailable", "gone"]
NO_ROOM = (
    "No room on node {node} to wake it: it needs {cpu:g} CPU and {memory} MB, the node has "
    "{free_cpu:.2f} CPU and {free_memory} MB free. Delete or put to sleep another deployment "
    "there, or ask an admin for more capacity."
)


async def sleep(actor: Actor, deployment_id: int, reason: str = "") -> DeploymentView:
    """Ask the agent to put a running deployment to sleep (full access); the status follows
    the agent's report. `reason` goes into the audit entry ("idle for 30 minutes")."""
    async with audited(actor, "deployment.sleep", Target("deployment", deployment_id)) as audit:
        audit.detail = reason
        dep = await _for_change(actor, deployment_id, audit)
        if dep.status != status.RUNNING or dep.node_id is None:
            raise Conflict(f"Only a running deployment can sleep; this one is {dep.status}.")
        await _ask(dep.node_id, p.Sleep(id=0, deployment_id=dep.id))
    return await get_deployment(actor, deployment_id)


async def wake(actor: Actor, deployment_id: int) -> DeploymentView:
    """Wake a sleeping deployment now (full access). No room on its node: 409 with the numbers,
    and it stays sleeping with that error on its page."""
    async with audited(actor, "deployment.wake", Target("deployment", deployment_id)) as audit:
        dep = await _for_change(actor, deployment_id, audit)
        if dep.status not in (status.SLEEPING, status.WAKING):
            raise Conflict(f"Only a sleeping deployment can be woken; this one is {dep.status}.")
        result = await wake_deployment(dep.id)
        audit.detail = result
        if result in ("no_room", "unavailable"):
            row = await _error(dep.id)
            message = (row or {}).get("error") or "It cannot be woken now."
            if result == "no_room":
                raise CapacityExceeded(message)
            raise AgentUnavailable(message)
    return await get_deployment(actor, deployment_id)


async def wake_deployment(deployment_id: int) -> WakeResult:
    """Start waking it if it sleeps and its node has room: `started` only for the one call that
    moved it to `waking` (the others see `waking` or `running`). Calls in this process while
    one is under way share it: a storm of requests holds one database transaction, not one
    each (each would wait on the node's row lock, holding a pooled connection, and hold up
    the node's heartbeats); other processes are kept out by the lock and the compare-and-set."""
    shared = _in_flight.get(deployment_id)
    if shared is not None:
        result = await asyncio.shield(shared)
        return "waking" if result == "started" else result
    task = asyncio.ensure_future(_wake_once(deployment_id))
    _in_flight[deployment_id] = task
    task.add_done_callback(lambda _: _in_flight.pop(deployment_id, None))
    return await asyncio.shield(task)


_in_flight: dict[int, asyncio.Future[WakeResult]] = {}  # deployment id → its wake under way


async def _wake_once(deployment_id: int) -> WakeResult:
    row = await _row(deployment_id)
    if row is None or row["status"] not in AWAKE_OR_ASLEEP:
        return "gone"
    if row["status"] != status.SLEEPING:
        return row["status"]
    node_id = row["node"]
    async with Deployment._meta.db.transaction():
        # The node's row lock serialises this with placements (scheduling.choose_node_locked)
        # and other wakes on the node: the room seen here is still there at the move, and a
        # wake that waited here for another sees it `waking` and leaves it alone.
        await Node.raw("SELECT id FROM nodes WHERE id = {} FOR UPDATE", node_id).run()
        row = await _row(deployment_id)
        if row is None or row["status"] != status.SLEEPING:
            return await _now_is(deployment_id)
        problem = await _no_room(node_id, row["cpu"], row["memory_mb"])
        if problem is not None:
            await lifecycle.move(deployment_id, status.SLEEPING, error=problem[1])
            return problem[0]
        if not await lifecycle.move(deployment_id, status.WAKING, error=""):
            return await _now_is(deployment_id)  # moved meanwhile (deleted, reported)
    try:
        await _ask(node_id, p.Wake(id=0, deployment_id=deployment_id))
    except ShoalError as error:
        why = f"wake failed: its node's agent cannot be reached ({error.detail})"
        await lifecycle.move(deployment_id, status.SLEEPING, error=why)
        return "unavailable"
    return "started"


async def _no_room(node_id: int, cpu: float, memory_mb: int) -> tuple[WakeResult, str] | None:
    node = await Node.select(Node.name, Node.status).where(Node.id == node_id).first().run()
    if node is None or node["status"] != "online":
        name = node["name"] if node else "?"
        return "unavailable", f"wake failed: its node {name} is not online."
    load = await load_of_node(node_id)
    if load is None or fits(load, cpu, memory_mb):
        return None
    return "no_room", NO_ROOM.format(
        node=node["name"],
        cpu=cpu,
        memory=memory_mb,
        free_cpu=max(load.free_cpu(), 0.0),
        free_memory=max(load.free_memory_mb(), 0),
    )


async def _now_is(deployment_id: int) -> WakeResult:
    row = await _row(deployment_id)
    current = row["status"] if row else ""
    return "waking" if current == status.WAKING else "running" if current == "running" else "gone"


async def _row(deployment_id: int) -> dict | None:
    return await (
        Deployment.select(Deployment.status, Deployment.node, Deployment.cpu, Deployment.memory_mb)
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )


async def _error(deployment_id: int) -> dict | None:
    return await Deployment.select(Deployment.error).where(Deployment.id == deployment_id).first()


async def _ask(node_id: int, request: p.Sleep | p.Wake) -> None:
    from core.hub import get_hub  # the hub owns the agent connections of this installation

    await get_hub().ask(node_id, request)
