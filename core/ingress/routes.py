"""The route table: which ingress host goes where. Pure: rows in, routes out.

A deployment contributes one host per exposed service (its `ports` map, service node id → host
port; the query gives one row per service). Only a `running` deployment on an `online` node is
routed; a `running` or `offline` one whose node is not online keeps its hosts, pointing at a
friendly page instead of an upstream, so users see which deployment is down rather than a 404.
A `sleeping` or `waking` one keeps its hosts too, marked `asleep`: a request to them goes to
the control plane, which wakes it (core.ingress.config).
"""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter

import msgspec

from core.domain.url_access import effective_policy
from core.ingress.hostnames import hostname, hostname_problem

LISTED_STATUSES = ("running", "offline", "sleeping", "waking")
ASLEEP_STATUSES = ("sleeping", "waking")


class RouteRow(msgspec.Struct, frozen=True, gc=False):
    """One exposed service of a deployment, with its environment and node (fields in the
    order of source._QUERY's columns)."""

    deployment_id: int
    deployment_name: str
    deployment_status: str
    service: str
    port: object
    """The host port as stored (JSON): validated here, not trusted."""
    environment_name: str
    base_domain: str
    tls_mode: str = "off"
    node_status: str | None = None
    node_address: str = ""
    project_access: str | None = None
    environment_access: str | None = None


class Route(msgspec.Struct, frozen=True, order=True, kw_only=True, gc=False):
    host: str
    upstream: str
    """`address:port`, or "" for a known host that must not be routed (node offline)."""
    deployment_id: int
    deployment_name: str
    tls_mode: str = "off"
    access: str = "public"
    """public | signed-in | password (core.domain.url_access)."""
    asleep: bool = False
    """Sleeping or waking: requests go to the control plane's wake page, never upstream."""


class RouteTable(msgspec.Struct, frozen=True):
    routes: list[Route]
    skipped: list[str]
    """Why some hosts were left out (bad names or ports in old rows); shown on the admin page."""

    @property
    def routed_count(self) -> int:
        return sum(1 for route in self.routes if route.upstream)


def upstream_address(address: str, port: int) -> str:
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{port}"


def _port(value: object) -> int | None:
    try:
        port = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


@lru_cache(maxsize=100_000)  # a sync re-reads every row; most are unchanged since the last
def _route_for(row: RouteRow) -> Route | str:
    """The route for one row, or why it has none (a message for the admin page)."""
    problem = hostname_problem(
        row.service, row.deployment_name, row.environment_name, row.base_domain
    )
    if problem is not None:
        return f"deployment {row.deployment_id}: {problem.reason}"
    port = _port(row.port)
    if port is None:
        return (
            f"deployment {row.deployment_id}: service '{row.service}' has no valid host "
            f"port ({row.port!r})."
        )
    routed = row.deployment_status == "running" and row.node_status == "online"
    return Route(
        host=hostname(row.service, row.deployment_name, row.environment_name, row.base_domain),
        upstream=upstream_address(row.node_address, port) if routed and row.node_address else "",
        deployment_id=row.deployment_id,
        deployment_name=row.deployment_name,
        tls_mode=row.tls_mode if row.tls_mode in ("internal", "acme") else "off",
        access=effective_policy(row.project_access, row.environment_access),
        asleep=row.deployment_status in ASLEEP_STATUSES,
    )


def compute_routes(rows: list[RouteRow]) -> RouteTable:
    by_host: dict[str, Route] = {}
    skipped: list[str] = []
    # Oldest first, so the newest deployment wins a host name clash (cheap: the query sorts).
    for row in sorted(rows, key=attrgetter("deployment_id")):
        if row.deployment_status not in LISTED_STATUSES:
            continue
        route = _route_for(row)
        if isinstance(route, str):
            skipped.append(route)
        else:
            by_host[route.host] = route
    return RouteTable(sorted(by_host.values()), skipped)
