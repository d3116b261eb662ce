"""What runs beside the web server in one process: the DB pool, the SAQ queue and worker.

Background services (the ingress syncer, the agent hub) join through `background` so that
each area starts and stops its own loop without this module knowing its insides.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from litestar import Litestar
from saq import Queue, Worker

from core import db, events, hub, ingress, runtime
from core.jobs import make_queue, make_worker
from core.runtime import Runtime
from core.services import deployment_actions, sso_providers
from core.settings import Settings

log = logging.getLogger("shoal")


# (name, start) pairs; start(runtime) returns an async stop function.
BackgroundStart = Callable[[Runtime], Awaitable[Callable[[], Awaitable[None]]]]
background: list[tuple[str, BackgroundStart]] = [
    ("ingress", ingress.start_in_app),
    # Each node's Sync carries the deployments and plugins the services say it should have.
    (
        "agent hub",
        functools.partial(
            hub.start_in_app,
            desired_state=deployment_actions.desired_specs,
            plugins=deployment_actions.plugin_infos,
        ),
    ),
]


async def _stop_worker(worker: Worker, task: asyncio.Task) -> None:
    """Ask SAQ to stop (lets running jobs finish briefly), then make sure the loop is gone."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(worker.stop(), timeout=10)
    task.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(task, timeout=5)


def _settle_heap() -> None:
    """Keep the cyclic GC off the startup heap (modules, app, templates: most objects).

    Without this every full collection walks the whole heap, ~85 ms on this class of
    machine, and under load one ran every second or two: the main cause of the deployment
    list's tail latency. A larger first threshold also makes young collections rarer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


GC_YOUNG_THRESHOLD = 10_000


class Lifespan:
    def __init__(
        self,
        settings: Settings,
        dsn: str,
        *,
        run_worker: bool,
        own_pool: bool = True,
        run_background: bool = True,
        own_caddy: bool = False,
    ) -> None:
        self.run_background = run_background
        self.own_caddy = own_caddy
        self.settings = settings
        self.dsn = dsn
        self.run_worker = run_worker
        # Tests share one pool across many app instances; they pass own_pool=False.
        self.own_pool = own_pool
        self.queue: Queue | None = None

    @contextlib.asynccontextmanager
    async def __call__(self, app: Litestar) -> AsyncIterator[None]:
        settings = self.settings
        db.configure(self.dsn)
        # Entered before anything starts, so the worker's and the background loops' tasks
        # inherit it; requests enter it in web/runtime_scope.py.
        made = Runtime.from_settings(settings, own_caddy=self.own_caddy)
        app.state.runtime = made
        runtime.enter(made)
        if self.own_pool:
            await db.start_pool(settings.db_pool_size)
            # Before serving: a provider in litestar.toml that cannot be stored stops us. (A
            # test's shared pool lives on another loop; those tests add providers themselves.)
            await sso_providers.sync_from_settings(list(settings.oidc_providers))
        await events.start(self.dsn)
        queue = make_queue(self.dsn, settings.db_pool_size)
        await queue.connect()
        self.queue = queue
        app.state.queue = queue
        made.queue = queue
        worker_task: asyncio.Task | None = None
        worker = make_worker(queue, settings.worker_concurrency, handle_signals=False)
        if self.run_worker:
            worker_task = asyncio.create_task(worker.start(), name="saq-worker")
        stops = []
        for name, start in background if self.run_background else []:
            try:
                stops.append(await start(made))
            except Exception:
                log.exception("could not start %s; the web app runs without it", name)
        if self.own_pool:
            _settle_heap()
        try:
            yield
        finally:
            log.info("shutting down")
            for stop in reversed(stops):
                with contextlib.suppress(Exception):
                    await stop()
            if worker_task is not None:
                await _stop_worker(worker, worker_task)
            with contextlib.suppress(Exception):
                await queue.disconnect()
            await events.stop()
            if self.own_pool:
                await db.close_pool()
