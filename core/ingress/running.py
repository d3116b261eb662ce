"""One process's ingress: its syncer and, under `shoal up`, the Caddy it runs itself. Kept on
the process's runtime (core/runtime.py `ingress`); core/ingress/__init__.py is the way in."""

from __future__ import annotations

import asyncio
import logging

import msgspec

from core.ingress.binary import supports_close_delay, supports_host_metrics
from core.ingress.caddy import CaddyAdmin
from core.ingress.config import IngressOptions
from core.ingress.hostnames import control_plane_dial, tls_bind
from core.ingress.process import CaddyNotInstalled, CaddyProcess
from core.ingress.syncer import IngressSyncer
from core.settings import Settings

log = logging.getLogger("shoal.ingress")

NOT_CONFIGURED = "The ingress is not configured: set SHOAL_CADDY_ADMIN or run `shoal up`."


def options_from(settings: Settings) -> IngressOptions:
    return IngressOptions(
        listen=settings.ingress_bind,
        tls_listen=tls_bind(settings.ingress_bind, getattr(settings, "ingress_tls_bind", "")),
        public_url=settings.effective_public_url,
        control_plane=control_plane_dial(settings.bind),
    )


class RunningIngress:
    def __init__(self) -> None:
        self.syncer: IngressSyncer | None = None
        self.process: CaddyProcess | None = None
        self.supervisor: asyncio.Task | None = None
        self.not_running = NOT_CONFIGURED
        """Why there is no syncer, for the admin page."""

    async def start(
        self, settings: Settings, *, run_caddy: bool = False, check_interval: float = 2.0
    ) -> IngressSyncer | None:
        """Start syncing. With `run_caddy` and no `caddy_admin`, start our own Caddy first.

        Never raises for a missing or unreachable Caddy: deployments must work without ingress,
        so the problem is logged and shown on the admin page.
        """
        await self.stop()
        admin_url, owns = settings.caddy_admin, False
        if not admin_url and run_caddy:
            try:
                self.process = CaddyProcess(settings.data_path / "caddy")
                await self.process.start()
            except CaddyNotInstalled as exc:
                self.process, self.not_running = None, exc.detail
                log.warning("%s", exc.detail)
                return None
            except Exception as exc:
                self.process, self.not_running = None, f"Caddy did not start: {exc}"
                log.error("%s", self.not_running)
                return None
            self.supervisor = asyncio.create_task(
                self.process.supervise(), name="shoal-caddy-supervisor"
            )
            admin_url, owns = self.process.admin_url, True
        if not admin_url:
            log.info("%s", self.not_running)
            return None
        options = options_from(settings)
        if self.process is not None and not supports_close_delay(self.process.version):
            options = msgspec.structs.replace(options, stream_close_delay="")
        if self.process is not None and supports_host_metrics(self.process.version):
            options = msgspec.structs.replace(options, host_metrics=True)
        self.syncer = IngressSyncer(
            CaddyAdmin(admin_url), options, owns_caddy=owns, check_interval=check_interval
        )
        await self.syncer.start()
        return self.syncer

    async def stop(self) -> None:
        self.not_running = NOT_CONFIGURED
        if self.syncer is not None:
            await self.syncer.stop()
            self.syncer = None
        if self.supervisor is not None:
            self.supervisor.cancel()
            self.supervisor = None
        if self.process is not None:
            await self.process.stop()
            self.process = None
