"""`GET /ingress-wake`: where Caddy sends a request for a sleeping deployment's host
(core.ingress.wake), with `X-Shoal-Deployment` set by Caddy. It starts the wake (one, however
many requests come: core.services.wake_requests) and answers 503 with Retry-After: HTML
clients a "waking up pr-42…" page that reloads itself (a meta refresh: no script, CSP-clean),
so the visitor gets the app without reloading by hand once the route is back; API clients a
JSON {status_code, detail}. A node without room says so, and refreshes rarely."""

from __future__ import annotations

from litestar import Request, Response, Router, get
from litestar.response import Template

from core.services.wake_requests import WakeAnswer, wake_on_request

WAKING_RETRY_S = 2
STUCK_RETRY_S = 30  # no room, node away: worth a look now and then, not every 2 s
HEADERS = {"Cache-Control": "no-store"}


def _deployment(request: Request) -> int | None:
    value = request.headers.get("x-shoal-deployment", "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _wording(answer: WakeAnswer) -> tuple[int, str, str, int]:
    """(status, title, text, retry after in seconds; 0 = none)."""
    name = answer.name
    if answer.shown == "waking":
        return (
            503,
            f"Waking up {name}…",
            f"Deployment {name} was asleep and is starting now. This takes a few seconds.",
            WAKING_RETRY_S,
        )
    if answer.shown == "no_room":
        return 503, f"{name} cannot wake up now", answer.message, STUCK_RETRY_S
    if answer.shown == "unavailable":
        return 503, f"{name} cannot wake up now", answer.message, STUCK_RETRY_S
    return 404, "Not found", "No Shoal deployment answers at this address.", 0


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


@get("/ingress-wake", include_in_schema=False)
async def wake(request: Request) -> Response | Template:
    deployment_id = _deployment(request)
    answer = WakeAnswer(shown="gone")
    if deployment_id is not None:
        host = request.headers.get("host", "").rpartition(":")[0] or request.headers.get("host", "")
        answer = await wake_on_request(deployment_id, host.lower())
    status, title, text, retry = _wording(answer)
    headers = {**HEADERS, **({"Retry-After": str(retry)} if retry else {})}
    if not _wants_html(request):
        body = {"status_code": status, "detail": f"{title} {text}".strip()}
        return Response(body, status_code=status, headers=headers)
    context = {"title": title, "text": text, "refresh": retry, "shown": answer.shown}
    return Template("ingress_wake/page.html", context=context, status_code=status, headers=headers)


router = Router(path="/", route_handlers=[wake], include_in_schema=False)
