"""Keeps Caddy's config equal to the route table computed from the database.

One background task does all the work, so bursts of `request_sync()` calls collapse: a request
only sets a flag, the task waits `settle` seconds for more, and each pass reads the newest
state, so ten status changes in a row (or during one apply) cost one apply, not ten. Every
`check_interval` seconds a pass also reads Caddy's live config and repairs any difference (a
restarted Caddy gets its routes back within seconds).
A failing pass records its error for the admin page and the loop carries on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec

from core.ingress.caddy import CaddyAdmin, CaddyError
from core.ingress.config import IngressOptions, build_owned
from core.ingress.document import merge_into, owned_part
from core.ingress.gcpause import paused_gc
from core.ingress.routes import RouteTable
from core.ingress.source import load_route_table

log = logging.getLogger("shoal.ingress")


class IngressStatus(msgspec.Struct, kw_only=True):
    admin_url: str = ""
    reachable: bool | None = None
    """None until the first pass has talked to Caddy."""
    route_count: int = 0
    """Hosts in the table (routed ones plus those showing the node-offline page)."""
    routed_count: int = 0
    last_sync_at: datetime | None = None
    """When Caddy was last confirmed (or made) equal to the wanted config."""
    last_load_at: datetime | None = None
    last_load_ms: float | None = None
    loads: int = 0
    last_error: str = ""
    last_error_at: datetime | None = None
    skipped: list[str] = []


class IngressSyncer:
    def __init__(
        self,
        admin: CaddyAdmin,
        options: IngressOptions,
        *,
        owns_caddy: bool = False,
        check_interval: float = 2.0,
        settle: float = 0.01,
        load_table: Callable[[], Awaitable[RouteTable]] = load_route_table,
    ) -> None:
        self.admin = admin
        self.options = options
        self.owns_caddy = owns_caddy
        self.check_interval = check_interval
        self.settle = settle
        self._load_table = load_table
        self._admin_block: dict = {"listen": admin.admin_listen}
        if owns_caddy:
            self._admin_block["config"] = {"persist": False}
        self._applied: dict | None = None
        self._wanted = asyncio.Event()
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self.status = IngressStatus(admin_url=admin.admin_url)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="shoal-ingress-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.admin.close()

    def request_sync(self) -> None:
        """Ask for an apply soon; safe from any thread, cheap, never raises."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wanted.set()
        else:
            loop.call_soon_threadsafe(self._wanted.set)

    async def sync_now(self, *, check: bool = True) -> IngressStatus:
        """One pass right now (tests, the admin page's "sync" button); returns the status."""
        await self._guarded_pass(check=check)
        return self.status

    async def _guarded_pass(self, *, check: bool) -> None:
        async with self._lock:
            try:
                await self._pass(check=check)
            except Exception as exc:  # a bug here must not end syncing for good
                log.exception("ingress sync pass failed")
                self._fail(f"Unexpected error while syncing the ingress: {exc!r}")

    async def _run(self) -> None:
        next_check = 0.0  # the first pass compares with the live config
        while True:
            timeout = max(0.0, next_check - time.monotonic())
            try:
                await asyncio.wait_for(self._wanted.wait(), timeout)
            except TimeoutError:
                pass
            if self._wanted.is_set():
                # Status changes come in runs (a node going offline touches all its
                # deployments): a short pause lets one pass cover the whole run.
                await asyncio.sleep(self.settle)
            self._wanted.clear()
            check = time.monotonic() >= next_check
            await self._guarded_pass(check=check)
            if check:
                next_check = time.monotonic() + self.check_interval

    async def _pass(self, *, check: bool) -> None:
        try:
            table = await self._load_table()
        except Exception as exc:  # the database being down must not kill the loop
            self._fail(f"Could not read the route table from the database: {exc}")
            return
        # Only JSON types (dict, list, str, int, bool) inside, so it compares equal to what
        # Caddy gives back without a round trip through JSON.
        with paused_gc():
            owned = build_owned(table.routes, self.options)
        self.status.route_count = len(table.routes)
        self.status.routed_count = table.routed_count
        self.status.skipped = table.skipped
        try:
            await self._apply(owned, check=check)
        except CaddyError as exc:
            if self._drop_close_delay(exc):
                await self._pass(check=True)
                return
            self.status.reachable = exc.reachable
            self._fail(exc.detail)
            self._applied = None
            return
        except Exception:
            self._applied = None
            raise
        self.status.reachable = True
        self.status.last_error = ""
        self.status.last_sync_at = datetime.now(UTC)

    async def _apply(self, owned: dict, *, check: bool) -> None:
        if self.owns_caddy and not check:
            # Nobody else writes to our own Caddy, so the last load is what it serves.
            with paused_gc():
                if owned == self._applied:
                    return
                document = merge_into(None, owned, self._admin_block)
        else:
            live = await self.admin.get_config()
            with paused_gc():
                serving = owned_part(live, metrics="metrics" in owned)
                unchanged = serving == owned
            if unchanged and (live or {}).get("admin") is not None:
                self._applied = owned
                return
            if self._applied is not None and serving != self._applied:
                log.warning("ingress: Caddy's config was changed or lost; restoring the routes")
            document = merge_into(live, owned, self._admin_block)
        started = time.perf_counter()
        await self.admin.load(document)
        self.status.last_load_ms = round((time.perf_counter() - started) * 1000, 1)
        self.status.last_load_at = datetime.now(UTC)
        self.status.loads += 1
        self._applied = owned

    def _drop_close_delay(self, exc: CaddyError) -> bool:
        """An operator's Caddy older than 2.7 refuses `stream_close_delay`: go on without it."""
        if not (exc.reachable and self.options.stream_close_delay):
            return False
        if "stream_close_delay" not in exc.detail:
            return False
        log.info("ingress: this Caddy predates stream_close_delay; reloads close WebSockets")
        self.options = msgspec.structs.replace(self.options, stream_close_delay="")
        return True

    def _fail(self, message: str) -> None:
        if message != self.status.last_error:
            log.warning("ingress: %s", message)
        self.status.last_error = message
        self.status.last_error_at = datetime.now(UTC)
