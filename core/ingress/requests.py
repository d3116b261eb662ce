"""How many requests Caddy has served per host, from its admin API's Prometheus `/metrics`.

Caddy counts per host only with `apps.http.metrics` set to `per_host` and
`observe_catchall_hosts` (Shoal routes every host through one `map`, with no host matcher, so
without the second setting every host is counted as `_other`). Shoal sets both in a Caddy it
runs itself when that Caddy is 2.11 or newer (core.ingress.binary.supports_host_metrics). An
older Caddy (Debian's 2.6) has no host label: then `read_host_requests` gives an empty map and
idle detection goes by container traffic alone (docs/sleep.md).
"""

from __future__ import annotations

import re

import httpx

COUNTER = "caddy_http_requests_total"
METRICS = {"per_host": True, "observe_catchall_hosts": True}
"""The `apps.http.metrics` Shoal sets in its own Caddy."""
_HOST = re.compile(r'(?:^|,)host="((?:[^"\\]|\\.)*)"')


def parse_host_requests(text: str) -> dict[str, int]:
    """Requests per host from Prometheus text: the counter summed over handlers and servers."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        if not line.startswith(COUNTER + "{"):
            continue
        labels, _, value = line[len(COUNTER) + 1 :].rpartition("}")
        match = _HOST.search(labels)
        if match is None or match[1] == "_other":
            continue
        try:
            number = int(float(value.split()[0]))
        except (ValueError, IndexError):
            continue
        counts[match[1]] = counts.get(match[1], 0) + number
    return counts


async def read_host_requests(admin_url: str, wait_s: float = 5.0) -> dict[str, int] | None:
    """Requests per host so far; None when the admin API cannot be read (no counts this time,
    which must not be taken for "no requests")."""
    try:
        async with httpx.AsyncClient(timeout=wait_s) as client:
            response = await client.get(admin_url.rstrip("/") + "/metrics")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    return parse_host_requests(response.text)
