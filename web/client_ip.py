"""Who is calling from where: the socket peer, or, when that peer is a reverse proxy named in
the `trusted_proxies` setting, the client address and scheme the proxy recorded in
X-Forwarded-For and X-Forwarded-Proto.

Anyone can send those headers, so they count only from a configured proxy, and then only the
right-most X-Forwarded-For entry that is not itself a trusted proxy: each proxy appends the
address it saw, while whatever the client put in front is the client's own invention.
`shoal serve` turns the HTTP server's own rewriting off (uvicorn believes any 127.0.0.1 peer),
so this middleware is the one place that decides; it rewrites the ASGI scope, so everything
after it (sign-in throttling, session addresses, `Secure` cookies) sees the real client.
"""

from __future__ import annotations

import ipaddress

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.settings import IPNetwork


class ProxyHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        trusted = scope["app"].state.settings.proxy_networks
        peer = scope.get("client")
        if trusted and peer and _is_trusted(peer[0], trusted):
            forwarded_for = _header(scope, b"x-forwarded-for")
            if forwarded_for:
                scope["client"] = (resolve(peer[0], forwarded_for, trusted), 0)
            proto = _header(scope, b"x-forwarded-proto").rsplit(",", 1)[-1].strip().lower()
            if proto in ("http", "https"):
                secure = proto == "https"
                if scope["type"] == ScopeType.WEBSOCKET:
                    scope["scheme"] = "wss" if secure else "ws"
                else:
                    scope["scheme"] = proto
        await next_app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    # Repeated headers are one list, in order (RFC 9110 §5.3).
    return ",".join(v.decode("latin-1") for k, v in scope.get("headers", []) if k == name)


def resolve(peer: str, forwarded_for: str, trusted: tuple[IPNetwork, ...]) -> str:
    """The client's address given the peer, the X-Forwarded-For value and the proxies."""
    if not _is_trusted(peer, trusted):
        return peer
    nearest = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return nearest  # not something a proxy writes: stop at the last proxy vouched for
        if not any(address in network for network in trusted):
            return str(address)
        nearest = str(address)
    return nearest


def _is_trusted(peer: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in trusted)
