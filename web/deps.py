"""Dependencies every handler may ask for by name: `actor` (the signed-in user), and
`visible_project` / `visible_environment` / `visible_node` (web.visibility)."""

from __future__ import annotations

from litestar import Request
from litestar.di import Provide

from core.actor import Actor
from web import visibility
from web.auth import current_actor


async def provide_actor(request: Request) -> Actor:
    return current_actor(request)


DEPENDENCIES = {"actor": Provide(provide_actor), **visibility.DEPENDENCIES}
