"""Each request runs with its app's runtime (core/runtime.py), so the core services it calls
find the app's settings, key, queue and hub.

A request served by uvicorn starts with no runtime (its task is not the lifespan's); one made
in-process by a test runs in the test's task and keeps what the test entered (its own key or
hub), and is handed back to the test unchanged.
"""

from __future__ import annotations

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core import runtime


class RuntimeScope(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if runtime.current() is not None:
            await next_app(scope, receive, send)
            return
        with runtime.entered(scope["app"].state.runtime):
            await next_app(scope, receive, send)
