"""The route table: which ingress host goes where. Pure: rows in, routes out.

A deployment contributes one host per exposed service (its `ports` map, service node id → host
port). Only a `running` deployment on an `online` node is routed; a `running` or `offline` one
whose node is not online keeps its hosts, pointing at a friendly page instead of an upstream,
so users see which deployment is down rather than a 404.
"""

from __future__ import annotations

import msgspec

from core.ingress.hostnames import hostname, hostname_problem

LISTED_STATUSES = ("running", "offline")


class RouteRow(msgspec.Struct, frozen=True, kw_only=True):
    """One deployment as the database holds it, with its environment and node."""

    deployment_id: int
    deployment_name: str
    deployment_status: str
    ports: dict[str, object]
    environment_name: str
    base_domain: str
    tls_mode: str = "off"
    node_status: str | None = None
    node_address: str = ""


class Route(msgspec.Struct, frozen=True, order=True, kw_only=True):
    host: str
    upstream: str
    """`address:port`, or "" for a known host that must not be routed (node offline)."""
    deployment_id: int
    deployment_name: str
    tls_mode: str = "off"


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


def compute_routes(rows: list[RouteRow]) -> RouteTable:
    by_host: dict[str, Route] = {}
    skipped: list[str] = []
    for row in sorted(rows, key=lambda r: r.deployment_id):
        if row.deployment_status not in LISTED_STATUSES:
            continue
        routed = (
            row.deployment_status == "running"
            and row.node_status == "online"
            and bool(row.node_address)
        )
        for service, raw_port in sorted(row.ports.items()):
            problem = hostname_problem(
                service, row.deployment_name, row.environment_name, row.base_domain
            )
            if problem is not None:
                skipped.append(f"deployment {row.deployment_id}: {problem.reason}")
                continue
            port = _port(raw_port)
            if port is None:
                skipped.append(
                    f"deployment {row.deployment_id}: service '{service}' has no valid host port "
                    f"({raw_port!r})."
                )
                continue
            host = hostname(service, row.deployment_name, row.environment_name, row.base_domain)
            # Rows are visited oldest first, so the newest deployment wins a host name clash.
            by_host[host] = Route(
                host=host,
                upstream=upstream_address(row.node_address, port) if routed else "",
                deployment_id=row.deployment_id,
                deployment_name=row.deployment_name,
                tls_mode=row.tls_mode if row.tls_mode in ("internal", "acme") else "off",
            )
    return RouteTable(sorted(by_host.values()), skipped)
