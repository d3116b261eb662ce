"""The ingress: Caddy routes `<service>.<deployment>.<environment>.<base domain>` to the node
port of each running deployment's service. Public surface for the rest of Shoal:

    await ingress.start(settings, run_caddy=True)   # app lifespan (`up` starts Caddy itself)
    ingress.request_sync()                          # after any deployment or node status change
    ingress.status()                                # for the admin "Ingress" page
    await ingress.sync_now()                        # the page's "sync now" button
    await ingress.stop()

Hooks shaped for web/bootstrap.companions (`use_own_caddy`, `up` only) and
web/lifespan.background (`start_in_app`, every web process).

Modules: hostnames (names → hosts and URLs), routes (pure route table), source (its query),
config + pages + document (Caddy JSON), caddy (admin API adapter), syncer, process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import msgspec

from core.errors import Unavailable
from core.ingress.binary import supports_close_delay, supports_host_metrics
from core.ingress.caddy import CaddyAdmin
from core.ingress.config import IngressOptions
from core.ingress.hostnames import (
    check_hostname,
    control_plane_dial,
    hostname,
    hostname_problem,
    service_url,
    tls_bind,
)
from core.ingress.process import CaddyNotInstalled, CaddyProcess
from core.ingress.syncer import IngressStatus, IngressSyncer
from core.settings import Settings

log = logging.getLogger("shoal.ingress")

__all__ = [
    "IngressStatus",
    "admin_url",
    "check_hostname",
    "current_options",
    "hostname_problem",
    "options_from",
    "request_sync",
    "service_url",
    "start",
    "start_in_app",
    "status",
    "stop",
    "sync_now",
    "url_of",
    "use_own_caddy",
]

_syncer: IngressSyncer | None = None
_process: CaddyProcess | None = None
_supervisor: asyncio.Task | None = None
NOT_CONFIGURED = "The ingress is not configured: set SHOAL_CADDY_ADMIN or run `shoal up`."
_not_running = NOT_CONFIGURED
_own_caddy_wanted = False


def options_from(settings: Settings) -> IngressOptions:
    return IngressOptions(
        listen=settings.ingress_bind,
        tls_listen=tls_bind(settings.ingress_bind, getattr(settings, "ingress_tls_bind", "")),
        public_url=settings.effective_public_url,
        control_plane=control_plane_dial(settings.bind),
    )


def current_options(settings: Settings) -> IngressOptions:
    """What the running syncer applies (else what `settings` would give): for showing URLs."""
    return _syncer.options if _syncer is not None else options_from(settings)


def url_of(
    settings: Settings,
    service: str,
    deployment: str,
    environment: str,
    base_domain: str,
    tls_mode: str = "off",
) -> str:
    """The public URL of one service (for `${{ urls.<id> }}` and deployment pages)."""
    options = current_options(settings)
    host = hostname(service, deployment, environment, base_domain)
    return service_url(host, tls_mode, options.listen, options.tls_listen)


def use_own_caddy(settings: Settings) -> None:
    """`up` companion: the next `start_in_app` starts a Caddy unless `caddy_admin` is set."""
    global _own_caddy_wanted
    _own_caddy_wanted = True


async def start_in_app(settings: Settings, queue: object = None) -> Callable[[], Awaitable[None]]:
    """Lifespan hook: start syncing (and our Caddy after `use_own_caddy`); returns `stop`."""
    await start(settings, run_caddy=_own_caddy_wanted)
    return stop


async def start(
    settings: Settings, *, run_caddy: bool = False, check_interval: float = 2.0
) -> IngressSyncer | None:
    """Start syncing. With `run_caddy` and no `caddy_admin`, start our own Caddy first.

    Never raises for a missing or unreachable Caddy: deployments must work without ingress, so
    the problem is logged and shown by `status()`.
    """
    global _syncer, _process, _supervisor, _not_running
    await stop()  # one syncer per process: a second app in the same process replaces the first
    _not_running = NOT_CONFIGURED
    admin_url, owns = settings.caddy_admin, False
    if not admin_url and run_caddy:
        try:
            _process = CaddyProcess(settings.data_path / "caddy")
            await _process.start()
        except CaddyNotInstalled as exc:
            _not_running = exc.detail
            log.warning("%s", exc.detail)
            return None
        except Exception as exc:
            _not_running = f"Caddy did not start: {exc}"
            log.error("%s", _not_running)
            return None
        _supervisor = asyncio.create_task(_process.supervise(), name="shoal-caddy-supervisor")
        admin_url, owns = _process.admin_url, True
    if not admin_url:
        log.info("%s", _not_running)
        return None
    options = options_from(settings)
    if _process is not None and not supports_close_delay(_process.version):
        options = msgspec.structs.replace(options, stream_close_delay="")
    if _process is not None and supports_host_metrics(_process.version):
        options = msgspec.structs.replace(options, host_metrics=True)
    _syncer = IngressSyncer(
        CaddyAdmin(admin_url),
        options,
        owns_caddy=owns,
        check_interval=check_interval,
    )
    await _syncer.start()
    return _syncer


def admin_url(settings: Settings) -> str:
    """The admin API of the Caddy this process syncs (else the configured one, for a worker
    process): where idle detection reads request counts. "" = no ingress."""
    return _syncer.admin.admin_url if _syncer is not None else settings.caddy_admin


def request_sync() -> None:
    """Ask for the route table to be re-applied soon; cheap, thread-safe, a no-op if not started."""
    if _syncer is not None:
        _syncer.request_sync()


async def sync_now() -> IngressStatus:
    """Apply and check right away; Unavailable when no ingress is configured."""
    if _syncer is None:
        raise Unavailable(_not_running)
    return await _syncer.sync_now()


def status() -> IngressStatus:
    if _syncer is None:
        return IngressStatus(reachable=False, last_error=_not_running)
    return _syncer.status


async def stop() -> None:
    global _syncer, _process, _supervisor, _not_running
    _not_running = NOT_CONFIGURED
    if _syncer is not None:
        await _syncer.stop()
        _syncer = None
    if _supervisor is not None:
        _supervisor.cancel()
        _supervisor = None
    if _process is not None:
        await _process.stop()
        _process = None
