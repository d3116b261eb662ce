"""Read what the route table is computed from: one query, one row per exposed service."""

from __future__ import annotations

from core.ingress.gcpause import paused_gc
from core.ingress.routes import LISTED_STATUSES, RouteRow, RouteTable, compute_routes
from core.tables import Deployment

# asyncpg directly, not the ORM: this runs on every sync and drift check, and at 10,000 hosts
# building ORM dicts cost more than the query. PostgreSQL unpacks `ports`; a value that is
# not a JSON object contributes no rows. Columns are in RouteRow's field order.
_QUERY = """
SELECT d.id, d.name, d.status, p.key, p.value,
       e.name, e.base_domain, e.tls_mode, n.status,
       COALESCE(NULLIF(n.publish_address, ''), n.host, ''),
       pr.url_access, e.url_access
FROM deployments d
JOIN environments e ON e.id = d.environment
LEFT JOIN projects pr ON pr.id = d.project
LEFT JOIN nodes n ON n.id = d.node
CROSS JOIN LATERAL jsonb_each_text(
    CASE WHEN jsonb_typeof(d.ports) = 'object' THEN d.ports ELSE '{}'::jsonb END
) AS p
WHERE d.status = ANY($1::text[])
ORDER BY d.id, p.key
"""


async def _fetch() -> list:
    engine = Deployment._meta.db
    pool = getattr(engine, "pool", None)
    if pool is not None:
        async with pool.acquire() as connection:
            return await connection.fetch(_QUERY, list(LISTED_STATUSES))
    connection = await engine.get_new_connection()
    try:
        return await connection.fetch(_QUERY, list(LISTED_STATUSES))
    finally:
        await connection.close()


async def load_route_table() -> RouteTable:
    records = await _fetch()
    with paused_gc():
        return compute_routes([RouteRow(*record) for record in records])
