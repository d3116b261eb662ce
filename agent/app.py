"""The running agent: builds the node's parts once from config, keys and Docker, hands each
module the few it uses, and runs the server and the background loops (heartbeat, reconcile).
Nothing imports this module but cli.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from agent.config import AgentConfig
from agent.datasets import DatasetCache
from agent.deployments import Deployments
from agent.events import EventBus
from agent.execs import Execs
from agent.handlers.context import HandlerContext
from agent.handshake import Throttle
from agent.keys import TokenKeys
from agent.logs import LogStreams
from agent.metrics import Metrics
from agent.parts import Parts
from agent.plugin_images import PluginImageKeeper
from agent.protocol import Heartbeat
from agent.reconcile import reconcile
from agent.run_memory import RunMemory
from agent.runtime.engine import DockerEngine
from agent.server import Endpoint, start_server
from agent.store import Store
from agent.terminals import Terminals

log = logging.getLogger(__name__)

# Docker calls are blocking and some (teardown, plugin runs) last long: more than the default.
WORKER_THREADS = 64


class App:
    def __init__(
        self, config: AgentConfig, keys: TokenKeys, ssl_context: ssl.SSLContext, thumbprint: str
    ) -> None:
        self.config = config
        self.store = Store(config.data_dir)
        self.engine = DockerEngine(config.agent_id)
        self.events = EventBus()
        self.parts = Parts(config, self.store, self.engine, self.events.emit, RunMemory())
        self.deployments = Deployments(self.parts)
        self.metrics = Metrics(self.engine, self.store, config.data_dir)
        self.handlers = HandlerContext(
            deployments=self.deployments,
            plugin_images=PluginImageKeeper(self.engine, self.events.emit, self.store),
            logs=LogStreams(self.engine),
            execs=Execs(self.engine),
            terminals=Terminals(self.engine),
            metrics=self.metrics,
            keys=keys,
            reconcile_soon=self.reconcile_soon,
            datasets=DatasetCache(config.data_dir),
        )
        self.endpoint = Endpoint(
            config, ssl_context, thumbprint, Throttle(), self.events, self.handlers
        )
        self._reconcile_now = asyncio.Event()

    def reconcile_soon(self) -> None:
        self._reconcile_now.set()

    async def run(
        self, stop: asyncio.Event, on_listening: Callable[[App], None] | None = None
    ) -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKER_THREADS))
        server = await start_server(self.endpoint)
        if on_listening is not None:
            on_listening(self)
        loops = [
            asyncio.create_task(self._heartbeats(), name="heartbeats"),
            asyncio.create_task(self._reconciles(), name="reconcile"),
        ]
        try:
            await stop.wait()
        finally:
            server.close()
            for task in loops:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
            self.store.close()

    async def _heartbeats(self) -> None:
        comebacks = 0
        while True:
            try:
                metrics = await self.metrics.collect()
                if self.events.session is not None:
                    self.events.emit(Heartbeat(metrics=metrics))
                # Docker is back (or first seen), even after an outage between two beats that
                # only another call noticed (a dockerd restart): catch up at once.
                if metrics.docker == "ok" and self.engine.comebacks != comebacks:
                    comebacks = self.engine.comebacks
                    self.reconcile_soon()
            except Exception:
                log.exception("heartbeat failed")
            await asyncio.sleep(self.config.heartbeat_s)

    async def _reconciles(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reconcile_now.wait(), self.config.reconcile_s)
            self._reconcile_now.clear()
            try:
                await reconcile(self.parts, self.deployments)
            except Exception as error:
                log.warning("reconcile failed: %s", error)
