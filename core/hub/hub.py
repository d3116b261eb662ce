"""All node connections of the installation, held by exactly one process: the leader.

Leadership is a PostgreSQL advisory lock taken on a dedicated connection (not the pool, so the
lock lives exactly as long as that session). Followers try the lock every `lock_poll_s`; when
the leader's process dies, PostgreSQL ends its session, the lock is free and a follower takes
over within about one poll. A leader that loses its lock connection drops every agent
connection at once, so two processes never fight over one agent for long.

Followers reach agents through the leader with LISTEN/NOTIFY (core.hub.forward), chosen over
SAQ jobs because a reply comes back in milliseconds (SAQ results are polled) and a log stream
needs many small messages, not one result.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from agent import protocol as p
from core import crypto, runtime
from core.errors import AgentUnavailable
from core.hub.config import HubConfig
from core.hub.connection import STOP_WAIT_S, NodeConnection, Target
from core.hub.forward import Forwarder
from core.hub.memory import release_free_memory
from core.hub.recorder import DatabaseSink
from core.hub.requests import ROUTES, Forward, NodeChanged, PluginsChanged
from core.hub.sink import DesiredState, PluginList, Sink, no_deployments, no_plugins
from core.hub.task_stop import cancel_and_wait
from core.tables import Node

log = logging.getLogger("shoal.hub")

NOT_CONNECTABLE = ("revoked", "untrusted")


class Hub:
    """`desired_state` and `plugins` build the Sync a leader sends after each handshake (a
    hub without them syncs no deployments and no plugins: enough for a follower, which never
    syncs, and for tools; `shoal serve` passes core.services.deployment_actions' two)."""

    def __init__(
        self,
        config: HubConfig | None = None,
        sink: Sink | None = None,
        *,
        desired_state: DesiredState = no_deployments,
        plugins: PluginList = no_plugins,
    ) -> None:
        self.config = config or HubConfig()
        self.plugins = plugins
        self.sink = sink or DatabaseSink(self, desired_state, plugins)
        self.connections: dict[int, NodeConnection] = {}
        self.is_leader = False
        self.process_id = secrets.token_hex(6)
        self.forwarder = Forwarder(self)
        self.dsn = ""
        self._task: asyncio.Task | None = None
        self._refresh_lock = asyncio.Lock()

    # ---- life cycle

    async def start(self, dsn: str) -> None:
        self.dsn = dsn
        self._task = asyncio.create_task(self._elect(), name="hub-election")

    async def ensure_started(self) -> None:
        """A process that never started its hub (a `shoal worker`, a script) joins as a
        follower the first time it needs the leader."""
        if self._task is None and os.environ.get("SHOAL_RUNTIME_DSN"):
            self.config = dataclasses.replace(self.config, role="follower")
            await self.start(os.environ["SHOAL_RUNTIME_DSN"])

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task, STOP_WAIT_S * 3, "the hub's election loop")
            self._task = None
        await self._step_down()

    async def _elect(self) -> None:
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn)
                await self.forwarder.listen_replies(connection)
                while True:
                    if self.config.role == "auto" and await connection.fetchval(
                        "SELECT pg_try_advisory_lock($1)", self.config.lock_key
                    ):
                        await self._lead(connection)
                    await asyncio.sleep(self.config.lock_poll_s)
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), 10)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("hub: database connection for leadership lost: %s", error)
            finally:
                await self._step_down()
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(connection.close(), 3)
            await asyncio.sleep(self.config.lock_poll_s)

    async def _lead(self, connection: asyncpg.Connection) -> None:
        """Hold the connections while the lock connection answers; raises when it does not."""
        log.info("hub: this process (%s) now holds the agent connections", self.process_id)
        self.is_leader = True
        await self.forwarder.listen_requests(connection)
        await self.refresh()
        last_refresh = time.monotonic()
        while True:
            await asyncio.sleep(self.config.lock_poll_s)
            await asyncio.wait_for(connection.fetchval("SELECT 1"), 10)
            if time.monotonic() - last_refresh > self.config.refresh_s:
                await self.refresh()
                release_free_memory()
                last_refresh = time.monotonic()

    async def _step_down(self) -> None:
        if self.is_leader:
            log.info("hub: this process (%s) no longer holds agent connections", self.process_id)
        self.is_leader = False
        self.forwarder.listening.clear()
        self.forwarder.stop_serving()
        connections, self.connections = list(self.connections.values()), {}
        await asyncio.gather(*(c.stop() for c in connections), return_exceptions=True)

    # ---- which nodes to connect to

    async def refresh(self, node_id: int | None = None) -> None:
        """Make the connections match the nodes table (all nodes, or one)."""
        async with self._refresh_lock:
            query = Node.select(
                Node.id,
                Node.host,
                Node.port,
                Node.enabled,
                Node.status,
                Node.thumbprint,
                Node.token_secret_ciphertext,
                Node.agent_version,
                Node.protocol_version,
            )
            if node_id is not None:
                query = query.where(Node.id == node_id)
            rows = {row["id"]: row for row in await query.run()}
            wanted = {i: row for i, row in rows.items() if _connectable(row)}
            for gone in [i for i in self.connections if (node_id in (None, i)) and i not in wanted]:
                await self.connections.pop(gone).stop()
            for row in wanted.values():
                await self._ensure(row)

    async def _ensure(self, row: dict[str, Any]) -> None:
        node_id = row["id"]
        try:
            key = bytes.fromhex(
                runtime.box().decrypt(
                    row["token_secret_ciphertext"], crypto.node_token_context(node_id)
                )
            )
        except (crypto.KeyConfigError, crypto.DecryptionError, ValueError) as error:
            await self.sink.offline(node_id, "offline", f"cannot read the node's token: {error}")
            return
        current = self.connections.get(node_id)
        if current is not None:
            same = (
                current.target.host == row["host"]
                and current.target.port == row["port"]
                and current.target.key == key
                and (not row["thumbprint"] or row["thumbprint"] == current.target.thumbprint)
            )
            if same and current.task is not None and not current.task.done():
                return
            await current.stop()
        target = Target(
            node_id=node_id,
            host=row["host"],
            port=row["port"],
            key=key,
            thumbprint=row["thumbprint"],
        )
        if row["status"] == "incompatible":
            target.incompatible_version = f"{row['agent_version']}/{row['protocol_version']}"
        connection = NodeConnection(target, self.sink, self.config)
        self.connections[node_id] = connection
        connection.start()

    # ---- requests (any process; followers forward to the leader)

    async def ask(self, node_id: int | None, request: Any) -> Any:
        """Run a request (core.hub.requests) where the agent connections are: here when this
        process leads, otherwise on the leader, whose answer or error comes back."""
        route = ROUTES[type(request)]
        if self.is_leader:
            return await route.handle(self, node_id, request)
        return await self.forwarder.call(Forward(node_id=node_id, request=request))

    async def tell(self, node_id: int | None, request: Any) -> None:
        """Like `ask` for a notice nobody waits on: a follower does not wait for the leader."""
        if self.is_leader:
            await ROUTES[type(request)].handle(self, node_id, request)
        else:
            await self.forwarder.notify(Forward(node_id=node_id, request=request))

    async def node_changed(self, node_id: int) -> None:
        """A node row changed (added, switched, approved, revoked, removed): act on it now."""
        await self.tell(node_id, NodeChanged())

    async def plugins_changed(self) -> None:
        """The catalog's plugin list changed: every connected agent hears it now."""
        await self.tell(None, PluginsChanged())

    async def deploy(self, node_id: int, spec: p.DeploymentSpec) -> None:
        await self.ask(node_id, p.Deploy(id=0, spec=spec))

    async def delete(self, node_id: int, deployment_id: int) -> None:
        await self.ask(node_id, p.Delete(id=0, deployment_id=deployment_id))

    async def metrics(self, node_id: int) -> p.MetricsReply:
        return await self.ask(node_id, p.GetMetrics(id=0))

    async def rotate_token(self, node_id: int, new_key_hex: str) -> bool:
        """Push a new token key over the live session; False when the node is not connected
        (the agent then needs a restart with the new token)."""
        return await self.ask(node_id, p.RotateToken(id=0, new_key=new_key_hex))

    def logs(
        self,
        node_id: int,
        deployment_id: int,
        service: str | None,
        tail: int,
        follow: bool,
        since: float = 0.0,
        timestamps: bool = False,
    ) -> AsyncIterator[p.LogLine]:
        """A service's log lines; `since` (Unix seconds) resumes a stream, see agent Logs."""
        request = p.Logs(
            id=0,
            deployment_id=deployment_id,
            step=service or "",
            tail=tail,
            follow=follow,
            since=since,
            timestamps=timestamps,
        )
        return self.stream(node_id, request)

    async def stream(self, node_id: int, request: Any) -> AsyncIterator[Any]:
        """`ask` for a request answered by many items (a route with stream=True)."""
        if self.is_leader:
            items = ROUTES[type(request)].handle(self, node_id, request)
        else:
            items = self.forwarder.stream(Forward(node_id=node_id, request=request))
        try:
            async for item in items:
                yield item
        finally:
            await items.aclose()  # at once, not when collected: it stops the agent's stream

    def local(self, node_id: int) -> NodeConnection:
        connection = self.connections.get(node_id)
        if connection is None or not connection.online:
            reason = (
                f" ({connection.last_problem})" if connection and connection.last_problem else ""
            )
            raise AgentUnavailable(f"The agent of node {node_id} is not connected{reason}.")
        return connection


def _connectable(row: dict[str, Any]) -> bool:
    return bool(
        row["enabled"] and row["status"] not in NOT_CONNECTABLE and row["token_secret_ciphertext"]
    )
