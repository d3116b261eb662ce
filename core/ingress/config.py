"""The Caddy JSON for a route table. Pure: routes + options in, JSON-ready dicts out.

Shape (chosen because every admin change reloads Caddy's whole config): one route per server
whose `map` handler turns the Host into `{shoal.upstream}`, `{shoal.deployment}` and
`{shoal.deployment_id}`, then a subroute: unknown host → 404 page, known host with no upstream
(node offline) → friendly page, a sleeping deployment's host → the control plane, which wakes
it (core.ingress.wake), else `reverse_proxy` to the mapped upstream. A proxy error
goes to `errors` (Caddy's handle_errors), which shows the friendly page for known hosts. The
map keeps a reload near 0.1 s at 10,000 hosts where one route per host would cost ~0.6 s.

Hosts of environments with `tls_mode` internal/acme are served by a second server with TLS
(certificates obtained on demand, only for the listed hosts); the plain server redirects them.

What Shoal owns in a shared Caddy: the servers in SERVER_NAMES and the TLS automation policies
whose `@id` starts with "shoal-". Everything else in a live config is left as it is.
"""

from __future__ import annotations

import msgspec

from core.ingress import pages
from core.ingress.guard import UPSTREAM_HEADERS, protected_routes, unavailable_error_route
from core.ingress.requests import METRICS
from core.ingress.routes import Route
from core.ingress.wake import wake_error_route, wake_routes

SERVER = "shoal"
TLS_SERVER = "shoal-tls"
SERVER_NAMES = (SERVER, TLS_SERVER)
ID_PREFIX = "shoal-"
_UNKNOWN = {"vars": {"{shoal.deployment_id}": [""]}}
# Keys of one `vars` matcher are alternatives; `not` makes it "no upstream and not asleep".
_NOT_ROUTED = {"vars": {"{shoal.upstream}": [""]}, "not": [{"vars": {"{shoal.asleep}": ["1"]}}]}
# Every route change anywhere reloads the config, and Caddy closes the upgraded connections of
# the config it unloads. An hour lets a WebSocket outlive any burst of changes, and costs little:
# only the old reverse_proxy handler stays referenced, and a connection whose deployment went
# away ends by itself when its container does. Past the hour the client reconnects as usual.
CLOSE_DELAY = "1h"


class IngressOptions(msgspec.Struct, frozen=True, kw_only=True):
    listen: str
    """Plain HTTP listener, e.g. "127.0.0.1:8880" or ":80"."""
    tls_listen: str
    """HTTPS listener for hosts of environments with TLS, e.g. ":443"."""
    public_url: str
    """Shoal's own URL, for the "open this deployment" link on error pages."""
    dial_timeout: str = "5s"
    stream_close_delay: str = CLOSE_DELAY
    """How long WebSockets opened under an old config stay open after a reload (Caddy 2.7+;
    "" for a Caddy that does not know the setting)."""
    control_plane: str = ""
    """host:port where Caddy reaches Shoal to check protected hosts ("" keeps them shut)."""
    host_metrics: bool = False
    """Have Caddy count requests per host (a Caddy Shoal runs, 2.11+): idle detection."""


def _html(status: int | str, body: str) -> dict:
    return {
        "handler": "static_response",
        "status_code": status,
        "headers": {"Content-Type": ["text/html; charset=utf-8"], "Cache-Control": ["no-store"]},
        "body": body,
    }


def _host_route(route_id: str, routes: list[Route], options: IngressOptions) -> dict:
    # Without a protected host the config stays as it was: nothing asks the control plane.
    guarded = any(r.access != "public" for r in routes)
    mapping = {
        "handler": "map",
        "source": "{http.request.host}",
        "destinations": [
            "{shoal.upstream}",
            "{shoal.deployment}",
            "{shoal.deployment_id}",
            "{shoal.access}",
            "{shoal.asleep}",
        ],
        "mappings": [
            {
                "input": r.host,
                "outputs": [
                    r.upstream,
                    r.deployment_name,
                    str(r.deployment_id),
                    r.access,
                    "1" if r.asleep else "",
                ],
            }
            for r in routes
        ],
        "defaults": ["", "", "", "public", ""],
    }
    proxy = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": "{shoal.upstream}"}],
        # No `flush_interval`: Caddy already flushes event streams and chunked responses at
        # once, and with -1 set, 2.6.2 cuts open streams at every reload (a route change).
        "transport": {"protocol": "http", "dial_timeout": options.dial_timeout},
        "headers": UPSTREAM_HEADERS,
    }
    if options.stream_close_delay:
        proxy["stream_close_delay"] = options.stream_close_delay
    decide = {
        "handler": "subroute",
        "routes": [
            {"match": [_UNKNOWN], "handle": [_html(404, pages.not_found_page())], "terminal": True},
            {
                "match": [_NOT_ROUTED],
                "handle": [_html(503, pages.node_offline_page(options.public_url))],
                "terminal": True,
            },
            *(protected_routes(options.control_plane, options.dial_timeout) if guarded else []),
            *(
                wake_routes(options.control_plane, options.dial_timeout, options.public_url)
                if any(r.asleep for r in routes)
                else []
            ),
            {"handle": [proxy]},
        ],
    }
    return {"@id": route_id, "handle": [mapping, decide], "terminal": True}


def _errors(options: IngressOptions) -> dict:
    status = "{http.error.status_code}"
    return {
        "routes": [
            unavailable_error_route(),
            wake_error_route(options.public_url),
            {"match": [_UNKNOWN], "handle": [_html(status, pages.error_page())], "terminal": True},
            {"handle": [_html(status, pages.service_down_page(options.public_url))]},
        ]
    }


def _redirect(hosts: list[str], tls_listen: str) -> dict:
    port = tls_listen.rpartition(":")[2]
    authority = "{http.request.host}" + ("" if port == "443" else f":{port}")
    return {
        "@id": "shoal-https-redirect",
        "match": [{"host": hosts}],
        "handle": [
            {
                "handler": "static_response",
                "status_code": 308,
                "headers": {"Location": [f"https://{authority}{{http.request.uri}}"]},
            }
        ],
        "terminal": True,
    }


def build_owned(routes: list[Route], options: IngressOptions) -> dict:
    """The parts of a Caddy config Shoal owns: {"servers": {...}, "tls_policies": [...]}, and
    "metrics" (`apps.http.metrics`) when it asks Caddy to count requests per host."""
    plain = [r for r in routes if r.tls_mode == "off"]
    secure = [r for r in routes if r.tls_mode != "off"]
    plain_routes = [_host_route("shoal-hosts", plain, options)]
    if secure:
        plain_routes.insert(0, _redirect([r.host for r in secure], options.tls_listen))
    servers = {
        SERVER: {
            "listen": [options.listen],
            "automatic_https": {"disable": True},
            "routes": plain_routes,
            "errors": _errors(options),
        }
    }
    policies = []
    if secure:
        servers[TLS_SERVER] = {
            "listen": [options.tls_listen],
            "automatic_https": {"disable": True},
            "tls_connection_policies": [{}],
            "routes": [_host_route("shoal-tls-hosts", secure, options)],
            "errors": _errors(options),
        }
        for mode in ("internal", "acme"):
            subjects = [r.host for r in secure if r.tls_mode == mode]
            if subjects:
                # On demand: a certificate is obtained at a host's first visit, and only for
                # hosts listed here, so thousands of deployments cost nothing until used.
                policies.append(
                    {
                        "@id": f"{ID_PREFIX}tls-{mode}",
                        "subjects": subjects,
                        "issuers": [{"module": mode}],
                        "on_demand": True,
                    }
                )
    owned: dict = {"servers": servers, "tls_policies": policies}
    if options.host_metrics:
        owned["metrics"] = dict(METRICS)
    return owned
