"""Nodes of an environment (admin): add (token shown once), rotate or revoke the token, approve
a changed certificate, the schedulable/enabled switches, remove. Every change tells the hub,
which connects, reconnects or lets go at once."""

from __future__ import annotations

import contextlib
import datetime
import logging
from typing import Annotated, Any

import asyncpg
import msgspec

from core import crypto, runtime, validation
from core.actor import Actor
from core.domain import nodes as rules
from core.domain.capacity import check_scheduling
from core.errors import AgentUnavailable, Conflict, Forbidden, InvalidInput, NotFound
from core.fields import Between, MaxLen, Text
from core.hub import get_hub
from core.hub.events import mark_node_offline
from core.services import lifecycle
from core.services.audit import Audited, Target, audited
from core.tables import Deployment, Environment, Node

log = logging.getLogger(__name__)

# Deployments that still hold something on their node (a node holding any is not removed).
ENDED_STATUSES = ("deleted", "failed")


class NodeView(msgspec.Struct, kw_only=True):
    id: int
    environment_id: int
    name: str
    host: str
    port: int
    status: str
    last_error: str
    enabled: bool
    schedulable: bool
    cpu_reserve: float
    cpu_overcommit: float
    thumbprint: str
    pending_thumbprint: str
    agent_version: str
    protocol_version: int | None
    publish_address: str
    capacity: dict[str, Any]
    usage: dict[str, Any]
    docker_status: str
    last_heartbeat_at: datetime.datetime | None
    created_at: datetime.datetime


class NodeWithToken(NodeView, kw_only=True):
    """Only in the answers to add and rotate: the token is never shown again."""

    token: str
    run_command: str
    docker_command: str
    token_pushed: bool = False


class NodeInput(msgspec.Struct, kw_only=True):
    host: Annotated[Text, MaxLen(253)]
    port: Annotated[int, Between(1, 65535)] = 5000
    name: Annotated[Text, MaxLen(63)] = ""


class NodeSwitches(msgspec.Struct, kw_only=True):
    schedulable: bool | None = None
    enabled: bool | None = None
    cpu_reserve: float | None = None  # CPU the host's own work may use without costing room
    cpu_overcommit: float | None = None  # schedulable CPU = capacity x this (1 to 4)


def _view(row: dict[str, Any]) -> NodeView:
    values = {**row, "environment_id": row["environment"]}
    for column in ("capacity", "usage"):
        raw = values[column]
        values[column] = msgspec.json.decode(raw) if isinstance(raw, (str, bytes)) else raw or {}
    return msgspec.convert(values, NodeView, strict=False)


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage nodes.")


def _target(node: NodeView) -> Target:
    return Target("node", node.id, node.name, environment_id=node.environment_id)


async def _admin_node(actor: Actor, node_id: int, audit: Audited) -> NodeView:
    """Inside the audited block, so a refusal (not an admin, no such node) is recorded too."""
    _admin(actor)
    node = await get_node(node_id)
    audit.target = _target(node)
    return node


async def _tell_hub(node_id: int) -> None:
    try:
        await get_hub().node_changed(node_id)
    except Exception as error:  # the hub's periodic refresh catches up
        log.warning("could not tell the hub about node %s: %s", node_id, error)


async def get_node(node_id: int) -> NodeView:
    row = await Node.select().where(Node.id == node_id).first().run()
    if row is None:
        raise NotFound("No such node.")
    return _view(row)


async def list_nodes(environment_id: int) -> list[NodeView]:
    rows = await Node.select().where(Node.environment == environment_id).order_by(Node.name).run()
    return [_view(row) for row in rows]


def _sealed_token(node_id: int, token: str) -> dict[Any, str]:
    return {
        Node.token_hash: rules.token_fingerprint(token),
        Node.token_secret_ciphertext: runtime.box().encrypt(
            rules.key_hex(token), crypto.node_token_context(node_id)
        ),
    }


def _with_token(node: NodeView, token: str, pushed: bool = False) -> NodeWithToken:
    commands = rules.run_commands(node.host, node.port, token)
    return NodeWithToken(
        **msgspec.structs.asdict(node), token=token, token_pushed=pushed, **commands
    )


async def add_node(actor: Actor, environment_id: int, data: NodeInput) -> NodeWithToken:
    target = Target("node", name=data.host[:63], environment_id=environment_id)
    async with audited(actor, "node.create", target) as audit:
        _admin(actor)
        environment = (
            await Environment.select(Environment.name)
            .where(Environment.id == environment_id)
            .first()
            .run()
        )
        if environment is None:
            raise NotFound("No such environment.")
        host, port = rules.check_host(data.host), rules.check_port(data.port)
        name = validation.dns_label(data.name or rules.name_from_host(host))
        clash = (
            await Node.select(Node.name)
            .where(
                (Node.environment == environment_id) & (Node.host.ilike(host)) & (Node.port == port)
            )
            .first()
            .run()
        )
        if clash is not None:
            raise Conflict(
                f"Node '{clash['name']}' of '{environment['name']}' already uses {host}:{port}.",
                "host",
            )
        token = rules.new_token()
        try:
            async with Node._meta.db.transaction():
                row = (
                    await Node.insert(
                        Node(environment=environment_id, name=name, host=host, port=port)
                    )
                    .returning(Node.id)
                    .run()
                )[0]
                await Node.update(_sealed_token(row["id"], token)).where(Node.id == row["id"]).run()
        except asyncpg.UniqueViolationError as error:
            field = "name" if "name" in str(error.constraint_name) else "host"
            raise Conflict(
                f"This environment already has a node with that {field}.", field
            ) from error
        audit.target = Target("node", row["id"], name, environment_id=environment_id)
    await _tell_hub(row["id"])
    return _with_token(await get_node(row["id"]), token)


async def rotate_token(actor: Actor, node_id: int) -> NodeWithToken:
    """A new token, shown once. Pushed over the live session so the agent keeps working; the
    old token stops working at once. Also how a revoked node is given a token again."""
    async with audited(actor, "node.rotate_token", Target("node", node_id)) as audit:
        node = await _admin_node(actor, node_id, audit)
        token = rules.new_token()
        pushed = False
        if node.status == "online":  # else nothing to push to (and no wait)
            with contextlib.suppress(AgentUnavailable):
                pushed = await get_hub().rotate_token(node_id, rules.key_hex(token))
        values: dict[Any, Any] = _sealed_token(node_id, token)
        if node.status in ("revoked", "auth_failed"):
            values.update({Node.status: "offline", Node.last_error: ""})
        await Node.update(values).where(Node.id == node_id).run()
        audit.detail = "pushed to the connected agent" if pushed else "agent not connected"
    await _tell_hub(node_id)
    return _with_token(await get_node(node_id), token, pushed)


async def revoke(actor: Actor, node_id: int) -> NodeView:
    """Disconnect at once and forget the token; the agent is told to forget it too."""
    async with audited(actor, "node.revoke", Target("node", node_id)) as audit:
        node = await _admin_node(actor, node_id, audit)
        if node.status == "online":
            with contextlib.suppress(Exception):  # best effort: the link may just have dropped
                await get_hub().rotate_token(node_id, rules.key_hex(rules.new_token()))
        await (
            Node.update({Node.token_hash: "", Node.token_secret_ciphertext: ""})
            .where(Node.id == node_id)
            .run()
        )
        await mark_node_offline(node_id, "revoked", f"token revoked by {actor.username}")
    await _tell_hub(node_id)
    return await get_node(node_id)


async def approve_thumbprint(actor: Actor, node_id: int) -> NodeView:
    async with audited(actor, "node.approve_thumbprint", Target("node", node_id)) as audit:
        node = await _admin_node(actor, node_id, audit)
        if not node.pending_thumbprint:
            raise Conflict("There is no new certificate waiting for approval on this node.")
        audit.detail = f"{node.thumbprint[:16]}… → {node.pending_thumbprint[:16]}…"
        await (
            Node.update(
                {
                    Node.thumbprint: node.pending_thumbprint,
                    Node.pending_thumbprint: "",
                    Node.status: "offline",
                    Node.last_error: "",
                }
            )
            .where(Node.id == node_id)
            .run()
        )
    await _tell_hub(node_id)
    return await get_node(node_id)


async def set_switches(actor: Actor, node_id: int, data: NodeSwitches) -> NodeView:
    """schedulable off = drain (no new deployments); enabled off = the hub lets go."""
    async with audited(actor, "node.update", Target("node", node_id)) as audit:
        node = await _admin_node(actor, node_id, audit)
        values: dict[Any, Any] = {}
        if data.schedulable is not None:
            values[Node.schedulable] = data.schedulable
        if data.enabled is not None:
            values[Node.enabled] = data.enabled
        knobs = check_scheduling(data.cpu_reserve, data.cpu_overcommit)
        values.update({getattr(Node, name): value for name, value in knobs.items()})
        if not values:
            raise InvalidInput(
                "Nothing to change: send schedulable, enabled, cpu_reserve or cpu_overcommit."
            )
        audit.detail = ", ".join(f"{c._meta.name}={v}" for c, v in values.items())
        await Node.update(values).where(Node.id == node_id).run()
        if data.enabled is False and node.enabled:
            await mark_node_offline(node_id, "offline", f"disabled by {actor.username}")
        if data.enabled and not node.enabled and node.status not in ("revoked", "untrusted"):
            await Node.update({Node.last_error: ""}).where(Node.id == node_id).run()
    await _tell_hub(node_id)
    return await get_node(node_id)


async def live_deployments(node_id: int) -> list[dict[str, Any]]:
    return (
        await Deployment.select(Deployment.id, Deployment.name, Deployment.status)
        .where((Deployment.node == node_id) & Deployment.status.not_in(list(ENDED_STATUSES)))
        .order_by(Deployment.id)
        .run()
    )


async def remove_node(actor: Actor, node_id: int, force: bool = False) -> None:
    """Refused while deployments live on the node, unless `force`: then they are deleted
    (the agent is asked to remove them when it is connected) and marked deleted."""
    async with audited(actor, "node.delete", Target("node", node_id)) as audit:
        node = await _admin_node(actor, node_id, audit)
        live = await live_deployments(node_id)
        if live and not force:
            names = ", ".join(d["name"] for d in live[:5])
            raise Conflict(
                f"'{node.name}' still holds {len(live)} live deployment(s) ({names}); delete "
                "them first, or remove the node with force (which deletes them)."
            )
        for deployment in live if node.status == "online" else []:
            with contextlib.suppress(Exception):
                await get_hub().delete(node_id, deployment["id"])
        if live:
            for deployment in live:
                await lifecycle.move(deployment["id"], "deleted")
            audit.detail = f"forced: deleted {len(live)} deployment(s)"
        await Node.delete().where(Node.id == node_id).run()
    await _tell_hub(node_id)
