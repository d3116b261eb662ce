"""Caddy admin API adapter (httpx, async): read the live config, load a whole new one.

Every failure becomes `CaddyError` with a message fit for the admin page; nothing here retries
(the syncer decides when to try again). A `transport` can be passed for unit tests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import msgspec

from core.errors import Unavailable


class CaddyError(Unavailable):
    """Caddy's admin API could not be reached (`reachable` False) or refused what we sent."""

    def __init__(self, detail: str, *, reachable: bool) -> None:
        super().__init__(detail)
        self.reachable = reachable


class CaddyAdmin:
    def __init__(
        self,
        admin_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.admin_url = admin_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.admin_url, timeout=timeout, transport=transport
        )

    @property
    def admin_listen(self) -> str:
        """host:port of the admin API, for the `admin` block of a loaded config."""
        parts = urlsplit(self.admin_url)
        return f"{parts.hostname}:{parts.port or 2019}"

    async def close(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, path: str, body: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            response = await self._client.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise CaddyError(
                f"Caddy's admin API at {self.admin_url} is unreachable: {reason}", reachable=False
            ) from exc
        if response.status_code >= 400:
            raise CaddyError(
                f"Caddy refused {method} {path} ({response.status_code}): {_reason(response)}",
                reachable=True,
            )
        return response

    async def get_config(self) -> dict | None:
        """The live config (None when Caddy runs with an empty one)."""
        response = await self._send("GET", "/config/")
        try:
            document = msgspec.json.decode(response.content) if response.content else None
        except msgspec.DecodeError as exc:
            raise CaddyError(
                f"Caddy answered /config/ with invalid JSON: {exc}", reachable=True
            ) from exc
        if document is not None and not isinstance(document, dict):
            raise CaddyError(
                "Caddy answered /config/ with something other than an object.", reachable=True
            )
        return document

    async def load(self, document: dict) -> None:
        """Replace the whole config atomically: if Caddy refuses it, the old one keeps serving."""
        await self._send("POST", "/load", msgspec.json.encode(document))


def _reason(response: httpx.Response) -> str:
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return response.text.strip()[:500] or "(no body)"
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])[:500]
    return response.text.strip()[:500]
