"""Headers that tell browsers to keep Shoal's pages to themselves, on every response.

A `before_send` hook of the application, so error pages, static files, redirects and the
API explorer get them too (route middleware would miss requests that match no route).

The Content-Security-Policy allows scripts and styles from our own origin only: every page
loads its JavaScript and CSS from /static (no inline <script> or <style> anywhere; JSON data
blocks are not scripts), htmx is told not to inject its indicator <style>
(base.html's htmx-config), and the API explorer starts from a file (web/api_docs.py).
Images may be data: URLs because Pico CSS draws its icons that way. `frame-ancestors 'none'`
and X-Frame-Options stop other sites from framing Shoal under a user's session (clickjacking).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


async def add_security_headers(message: Message, _: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:  # a response that set its own keeps it
            headers[name] = value
