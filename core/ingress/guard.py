"""The Caddy JSON that keeps protected deployment hosts closed (url access, docs/ingress.md).

For a host whose policy is not `public`, before the proxy: paths under `/.shoal/` go to the
control plane (sign-in code exchange, share links, the password page), every other request is
first asked about with `forward_auth` (a GET to the control plane's check with the visitor's
headers and `X-Shoal-Deployment`). A 2xx answer lets the request on to the deployment; any
other answer (a redirect to sign in, a 403 page) is what the visitor gets. If the control plane
cannot be reached the host answers a 503 page and never opens.
"""

from __future__ import annotations

from core.domain.url_access import BYPASS_HEADER, COOKIE, HOST_PREFIX, PROTECTED
from core.ingress import pages

CHECK_PATH = "/ingress-auth/check"
HOST_PATH = "/ingress-auth/host/"
PROTECTED_MATCH = {"vars": {"{shoal.access}": list(PROTECTED)}}
PENDING = {"vars": {"shoal.auth": ["pending"]}}
# The deployment's app never sees the ingress cookie, the password form's CSRF cookie
# (shoal_csrf, set on the host by /.shoal/password) nor the bypass header: it could replay
# them only against its own deployment, but it has no business holding them.
_OURS = f"(?:{COOKIE}|shoal_csrf)"
UPSTREAM_HEADERS = {
    "request": {
        "delete": [BYPASS_HEADER],
        "replace": {
            "Cookie": [
                {"search_regexp": rf"^\s*{_OURS}=[^;]*(;\s*)?", "replace": ""},
                {"search_regexp": rf";\s*{_OURS}=[^;]*", "replace": ""},
            ],
        },
    }
}


def _identity() -> dict:
    """Set (never add) the deployment id Caddy mapped the host to: a visitor cannot send one."""
    return {"request": {"set": {"X-Shoal-Deployment": ["{shoal.deployment_id}"]}}}


def _unavailable(status: int = 503) -> dict:
    return {
        "handler": "static_response",
        "status_code": status,
        "headers": {"Content-Type": ["text/html; charset=utf-8"], "Cache-Control": ["no-store"]},
        "body": pages.auth_unavailable_page(),
    }


def protected_routes(control_plane: str, dial_timeout: str) -> list[dict]:
    """Subroute entries placed before the proxy route (which has no matcher)."""
    if not control_plane:
        # Nowhere to ask: a protected host stays shut rather than open.
        return [{"match": [PROTECTED_MATCH], "handle": [_unavailable()], "terminal": True}]
    upstream = [{"dial": control_plane}]
    transport = {"protocol": "http", "dial_timeout": dial_timeout}
    to_control_plane = {
        "match": [{**PROTECTED_MATCH, "path": [f"{HOST_PREFIX}*"]}],
        "handle": [
            {"handler": "vars", "shoal.auth": "pending"},
            {
                "handler": "rewrite",
                "uri_substring": [{"find": HOST_PREFIX, "replace": HOST_PATH, "limit": 1}],
            },
            {
                "handler": "reverse_proxy",
                "upstreams": upstream,
                "transport": transport,
                "headers": _identity(),
            },
        ],
        "terminal": True,
    }
    headers = _identity()
    headers["request"]["set"].update(
        {"X-Forwarded-Method": ["{http.request.method}"], "X-Forwarded-Uri": ["{http.request.uri}"]}
    )
    ask = {
        "match": [PROTECTED_MATCH],
        "handle": [
            {"handler": "vars", "shoal.auth": "pending"},
            {
                "handler": "reverse_proxy",
                "upstreams": upstream,
                "transport": transport,
                "rewrite": {"method": "GET", "uri": CHECK_PATH},
                "headers": headers,
                "handle_response": [
                    {
                        "match": {"status_code": [2]},
                        "routes": [{"handle": [{"handler": "vars", "shoal.auth": "passed"}]}],
                    }
                ],
            },
        ],
    }
    return [to_control_plane, ask]


def unavailable_error_route() -> dict:
    """First of the `errors` routes: the control plane did not answer a protected host."""
    return {"match": [PENDING], "handle": [_unavailable()], "terminal": True}
