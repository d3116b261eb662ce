"""The deployment list: the most requested page there is, so raw SQL on the pool.

Newest first, paged by id, filtered by what the actor may see (and by a part of the name);
plus the filter choices. Each row carries its services' public URLs while it runs.
"""

from __future__ import annotations

from typing import Any

import msgspec

from core import db, ingress, runtime
from core.actor import Actor
from core.domain import status
from core.domain.access import AccessMap
from core.services import access
from core.services.deployments import DeploymentView, to_view

LIST_SQL = """
SELECT d.id, d.name, d.status, d.project, d.environment, d.node, d.tags, d.ports, d.error,
       d.created_at, d.updated_at, d.expires_at, d.deleted_at,
       p.name AS project_name, e.name AS environment_name, v.version, u.username AS creator,
       e.base_domain, e.tls_mode
FROM deployments d
JOIN projects p ON p.id = d.project
JOIN environments e ON e.id = d.environment
JOIN pipeline_versions v ON v.id = d.pipeline_version
LEFT JOIN users u ON u.id = d.created_by
WHERE """
REACHABLE = (status.DEPLOYING, status.RUNNING, status.OFFLINE)


async def list_deployments(
    actor: Actor,
    *,
    project_id: int | None = None,
    environment_id: int | None = None,
    status_filter: str | None = None,
    mine: bool = False,
    include_deleted: bool = False,
    limit: int = 200,
    before_id: int | None = None,
    acl: AccessMap | None = None,
    name_contains: str | None = None,
) -> list[DeploymentView]:
    """Newest first. One hand-written query on the pool: the list is the hottest page."""
    acl = acl or await access.access_for(actor)
    conditions: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if not acl.is_admin:
        conditions.append(
            f"(d.project = ANY({arg(list(acl.projects))}::bigint[])"
            f" OR d.environment = ANY({arg(list(acl.environments))}::bigint[]))"
        )
    for column, value in (
        ("d.project", project_id),
        ("d.environment", environment_id),
        ("d.status", status_filter),
        ("d.created_by", actor.id if mine else None),
    ):
        if value:
            conditions.append(f"{column} = {arg(value)}")
    if before_id:
        conditions.append(f"d.id < {arg(before_id)}")
    if name_contains:
        conditions.append(f"d.name ILIKE {arg(f'%{like_escape(name_contains)}%')}")
    if not status_filter and not include_deleted:
        conditions.append("d.status <> 'deleted'")
    where = " AND ".join(conditions) or "TRUE"
    rows = await db.fetch(f"{LIST_SQL}{where} ORDER BY d.id DESC LIMIT {int(limit)}", *args)
    decode = msgspec.json.decode  # JSONB arrives as text
    views = []
    for row in rows:
        view = to_view(
            row,
            acl.deployment_level(row["project"], row["environment"]),
            decode(row["tags"] or "{}"),
            decode(row["ports"] or "{}"),
        )
        view.urls = _urls(row, view)
        views.append(view)
    return views


def like_escape(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (backslash is PostgreSQL's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _urls(row: Any, view: DeploymentView) -> dict[str, str]:
    """The URL of each service the node publishes, while the deployment may answer on it."""
    if view.status not in REACHABLE or not view.ports:
        return {}
    settings = runtime.settings()
    return {
        service: ingress.url_of(
            settings, service, view.name, view.environment_name, row["base_domain"], row["tls_mode"]
        )
        for service in view.ports
    }


class Choice(msgspec.Struct, frozen=True):
    id: int
    name: str


CHOICES_SQL = """
SELECT 'project' AS kind, id, name FROM projects WHERE $1::bigint[] IS NULL OR id = ANY($1)
UNION ALL
SELECT 'environment', id, name FROM environments WHERE $2::bigint[] IS NULL OR id = ANY($2)
ORDER BY kind, name
"""


async def filter_choices(acl: AccessMap) -> tuple[list[Choice], list[Choice]]:
    """(projects, environments) the list's filters offer: those the actor can see."""
    visible = (None, None) if acl.is_admin else (list(acl.projects), list(acl.environments))
    rows = await db.fetch(CHOICES_SQL, *visible)
    by_kind: dict[str, list[Choice]] = {"project": [], "environment": []}
    for row in rows:
        by_kind[row["kind"]].append(Choice(row["id"], row["name"]))
    return by_kind["project"], by_kind["environment"]
