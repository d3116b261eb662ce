"""Dependencies every handler may ask for by name: `actor` (the signed-in user), `runtime`
(what the lifespan built from the settings, core/runtime.py), and
`visible_project` / `visible_environment` / `visible_node` (web.visibility)."""

from __future__ import annotations

from litestar import Request
from litestar.di import Provide

from core.actor import Actor
from core.runtime import Runtime
from web import visibility
from web.auth import current_actor


async def provide_actor(request: Request) -> Actor:
    return current_actor(request)


async def provide_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


DEPENDENCIES = {
    "actor": Provide(provide_actor),
    "runtime": Provide(provide_runtime),
    **visibility.DEPENDENCIES,
}
