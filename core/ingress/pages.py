"""The HTML Caddy answers with when it cannot (or must not) proxy a request.

Bodies go into Caddy's `static_response`, which fills `{placeholders}`: the map handler provides
`{shoal.deployment}` (a DNS label) and `{shoal.deployment_id}` (digits), both safe in HTML. The
request's Host header is never echoed (it is attacker-controlled). No CSS braces, so nothing
here can be mistaken for a placeholder.
"""

from __future__ import annotations

import html

DEPLOYMENT = "{shoal.deployment}"
DEPLOYMENT_ID = "{shoal.deployment_id}"

_STYLE = (
    "font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
    "color:#1f2933;line-height:1.5"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>{title}</title></head><body style="{_STYLE}">{body}</body></html>\n'
    )


def _link(public_url: str) -> str:
    # `{` would start a Caddy placeholder; a URL has no business holding one.
    base = html.escape(public_url.rstrip("/").replace("{", "").replace("}", ""), quote=True)
    return (
        f'<p><a href="{base}/deployments/{DEPLOYMENT_ID}">Open deployment '
        f"<b>{DEPLOYMENT}</b> in Shoal</a> to see its status and logs.</p>"
    )


def service_down_page(public_url: str) -> str:
    """A known host whose service does not answer (stopped, starting, crashed)."""
    return _page(
        f"{DEPLOYMENT} is not answering",
        f"<h1>Deployment <b>{DEPLOYMENT}</b> is not answering</h1>"
        "<p>This address belongs to a Shoal deployment, but its service did not answer "
        "(error {http.error.status_code}). It may be starting, stopping or failing.</p>"
        + _link(public_url),
    )


def node_offline_page(public_url: str) -> str:
    """A known host whose node is offline: not routed at all, this page instead."""
    return _page(
        f"{DEPLOYMENT} is offline",
        f"<h1>Deployment <b>{DEPLOYMENT}</b> is offline</h1>"
        "<p>The node running this deployment is not connected to Shoal right now. Its "
        "address will work again as soon as the node is back.</p>" + _link(public_url),
    )


def asleep_page(public_url: str) -> str:
    """A sleeping deployment's host when the control plane cannot wake it from here."""
    return _page(
        f"{DEPLOYMENT} is asleep",
        f"<h1>Deployment <b>{DEPLOYMENT}</b> is asleep</h1>"
        "<p>It was put to sleep while nobody used it. Shoal could not be reached to wake it "
        "now; try again in a moment, or wake it from its page.</p>" + _link(public_url),
    )


def not_found_page() -> str:
    """A host Shoal knows nothing about."""
    return _page(
        "Not found",
        "<h1>404 Not found</h1><p>No Shoal deployment answers at this address.</p>",
    )


def error_page() -> str:
    """Any other error for an unknown host."""
    return _page(
        "Error",
        "<h1>Error {http.error.status_code}</h1><p>The ingress could not serve this request.</p>",
    )


def auth_unavailable_page() -> str:
    """A protected host whose access check could not be made: closed, never opened."""
    return _page(
        "Sign-in unavailable",
        "<h1>503 Sign-in is unavailable</h1><p>This deployment is protected, and Shoal, which "
        "checks who may open it, is not answering right now. Try again in a minute.</p>",
    )
