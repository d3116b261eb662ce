"""Liveness (the process answers) and readiness (the database and the queue answer)."""

from __future__ import annotations

from litestar import Request, Response, Router, get
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from core import db
from core.errors import Unavailable
from core.jobs import ping as ping_queue


@get("/live", sync_to_thread=False, include_in_schema=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", include_in_schema=False)
async def ready(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        await db.ping()
        checks["database"] = "ok"
    except Unavailable as exc:
        checks["database"] = exc.detail
    try:
        await ping_queue(request.app.state.queue)
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"queue unavailable: {exc or type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status_code=200 if healthy else HTTP_503_SERVICE_UNAVAILABLE,
    )


health_router = Router(path="/health", route_handlers=[live, ready])
