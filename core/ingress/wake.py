"""The Caddy JSON that sends a sleeping deployment's hosts to the control plane (issue 20).

The host map marks a sleeping or waking deployment's hosts `{shoal.asleep}` = "1". After the
access check (a protected host is checked first, so a visitor without access never wakes
it), such a request goes to the control plane's `WAKE_PATH` with `X-Shoal-Deployment` set by
Caddy (never taken from the visitor). The control plane starts one wake (a compare-and-set in
the database, so a storm of requests makes one) and answers a "waking up" page that refreshes
itself (HTML clients) or a 503 with Retry-After (API clients). Once the deployment is running
the route table points the host at its containers again. If the control plane cannot be
reached, the host answers a static "asleep" page: never an error about a service.
"""

from __future__ import annotations

from core.ingress import pages

WAKE_PATH = "/ingress-wake"
ASLEEP = {"vars": {"{shoal.asleep}": ["1"]}}
WAKE_PENDING = {"vars": {"shoal.wake": ["pending"]}}


def _asleep_page(public_url: str) -> dict:
    return {
        "handler": "static_response",
        "status_code": 503,
        "headers": {
            "Content-Type": ["text/html; charset=utf-8"],
            "Cache-Control": ["no-store"],
            "Retry-After": ["30"],
        },
        "body": pages.asleep_page(public_url),
    }


def wake_routes(control_plane: str, dial_timeout: str, public_url: str) -> list[dict]:
    """Subroute entries placed after the access check, before the proxy route."""
    if not control_plane:
        return [{"match": [ASLEEP], "handle": [_asleep_page(public_url)], "terminal": True}]
    to_control_plane = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": control_plane}],
        "transport": {"protocol": "http", "dial_timeout": dial_timeout},
        "rewrite": {"method": "GET", "uri": WAKE_PATH},
        "headers": {"request": {"set": {"X-Shoal-Deployment": ["{shoal.deployment_id}"]}}},
    }
    return [
        {
            "match": [ASLEEP],
            "handle": [{"handler": "vars", "shoal.wake": "pending"}, to_control_plane],
            "terminal": True,
        }
    ]


def wake_error_route(public_url: str) -> dict:
    """An `errors` route: the control plane did not answer a sleeping host's request."""
    return {"match": [WAKE_PENDING], "handle": [_asleep_page(public_url)], "terminal": True}
