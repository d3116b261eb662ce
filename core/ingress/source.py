"""Read what the route table is computed from: one query over deployments, environments, nodes."""

from __future__ import annotations

import msgspec

from core.ingress.routes import LISTED_STATUSES, RouteRow, RouteTable, compute_routes
from core.tables import Deployment

# Raw SQL because this runs on every sync and drift check: one round trip, no ORM objects.
_QUERY = """
SELECT d.id AS deployment_id, d.name AS deployment_name, d.status AS deployment_status,
       d.ports AS ports, e.name AS environment_name, e.base_domain AS base_domain,
       e.tls_mode AS tls_mode, n.status AS node_status,
       COALESCE(NULLIF(n.publish_address, ''), n.host, '') AS node_address
FROM deployments d
JOIN environments e ON e.id = d.environment
LEFT JOIN nodes n ON n.id = d.node
WHERE d.status = ANY({})
"""


def _row(record: dict) -> RouteRow:
    ports = record.get("ports") or {}
    if isinstance(ports, str | bytes):
        try:
            ports = msgspec.json.decode(ports)
        except msgspec.DecodeError:
            ports = {}
    if not isinstance(ports, dict):
        ports = {}
    return msgspec.convert({**record, "ports": ports}, RouteRow, strict=False)


async def load_route_table() -> RouteTable:
    records = await Deployment.raw(_QUERY, list(LISTED_STATUSES)).run()
    return compute_routes([_row(record) for record in records])
