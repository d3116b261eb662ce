"""The ingress: Caddy routes `<service>.<deployment>.<environment>.<base domain>` to the node
port of each running deployment's service. Public surface for the rest of Shoal:

    await ingress.start(settings, run_caddy=True)   # an ingress in this task's runtime
    ingress.request_sync()                          # after any deployment or node status change
    ingress.status()                                # for the admin "Ingress" page
    await ingress.sync_now()                        # the page's "sync now" button
    await ingress.stop()

web/lifespan.background starts it (`start_in_app`, every web process; the Caddy of its own
under `shoal up`) and keeps it on the process's runtime (core/runtime.py `ingress`).

Modules: hostnames (names → hosts and URLs), routes (pure route table), source (its query),
config + pages + document (Caddy JSON), caddy (admin API adapter), syncer, process, running
(one process's syncer and Caddy).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core import runtime
from core.errors import Unavailable
from core.ingress.config import IngressOptions
from core.ingress.hostnames import check_hostname, hostname, hostname_problem, service_url
from core.ingress.running import NOT_CONFIGURED, RunningIngress, options_from
from core.ingress.syncer import IngressStatus, IngressSyncer
from core.settings import Settings

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
]


def _running() -> RunningIngress | None:
    found = runtime.current()
    held = found.ingress if found is not None else None
    return held if isinstance(held, RunningIngress) else None


def _syncer() -> IngressSyncer | None:
    running = _running()
    return running.syncer if running is not None else None


def current_options(settings: Settings) -> IngressOptions:
    """What the running syncer applies (else what `settings` would give): for showing URLs."""
    syncer = _syncer()
    return syncer.options if syncer is not None else options_from(settings)


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


async def start_in_app(started: runtime.Runtime) -> Callable[[], Awaitable[None]]:
    """Lifespan hook: the runtime's ingress starts syncing (and runs its own Caddy under
    `shoal up`, `own_caddy`); returns its stop."""
    running = RunningIngress()
    started.ingress = running
    await running.start(started.settings, run_caddy=started.own_caddy)
    return running.stop


async def start(
    settings: Settings, *, run_caddy: bool = False, check_interval: float = 2.0
) -> IngressSyncer | None:
    """Start an ingress in this task's runtime (a copy of it: see `runtime.install`), replacing
    the one it had. With `run_caddy` and no `caddy_admin`, start our own Caddy first; never
    raises for a missing or unreachable Caddy: deployments must work without ingress, so the
    problem is logged and shown by `status()`."""
    await stop()
    running = RunningIngress()
    runtime.install(ingress=running)
    return await running.start(settings, run_caddy=run_caddy, check_interval=check_interval)


def admin_url(settings: Settings) -> str:
    """The admin API of the Caddy this process syncs (else the configured one, for a worker
    process): where idle detection reads request counts. "" = no ingress."""
    syncer = _syncer()
    return syncer.admin.admin_url if syncer is not None else settings.caddy_admin


def request_sync() -> None:
    """Ask for the route table to be re-applied soon; cheap, thread-safe, a no-op if not started."""
    syncer = _syncer()
    if syncer is not None:
        syncer.request_sync()


async def sync_now() -> IngressStatus:
    """Apply and check right away; Unavailable when no ingress is configured."""
    running = _running()
    if running is None or running.syncer is None:
        raise Unavailable(running.not_running if running is not None else NOT_CONFIGURED)
    return await running.syncer.sync_now()


def status() -> IngressStatus:
    running = _running()
    if running is None or running.syncer is None:
        reason = running.not_running if running is not None else NOT_CONFIGURED
        return IngressStatus(reachable=False, last_error=reason)
    return running.syncer.status


async def stop() -> None:
    running = _running()
    if running is not None:
        await running.stop()
