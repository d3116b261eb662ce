"""The deployment list: the most requested page there is, so raw SQL on the pool.

Newest first, paged by id, filtered by what the actor may see; plus the filter choices.
"""

from __future__ import annotations

from typing import Any

import msgspec

from core import db
from core.actor import Actor
from core.domain.access import AccessMap
from core.services import access
from core.services.deployments import DeploymentView, to_view

LIST_SQL = """
SELECT d.id, d.name, d.status, d.project, d.environment, d.node, d.tags, d.ports, d.error,
       d.created_at, d.updated_at, d.expires_at, d.deleted_at,
       p.name AS project_name, e.name AS environment_name, v.version, u.username AS creator
FROM deployments d
JOIN projects p ON p.id = d.project
JOIN environments e ON e.id = d.environment
JOIN pipeline_versions v ON v.id = d.pipeline_version
LEFT JOIN users u ON u.id = d.created_by
WHERE """


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
    if not status_filter and not include_deleted:
        conditions.append("d.status <> 'deleted'")
    where = " AND ".join(conditions) or "TRUE"
    rows = await db.fetch(f"{LIST_SQL}{where} ORDER BY d.id DESC LIMIT {int(limit)}", *args)
    decode = msgspec.json.decode  # JSONB arrives as text
    return [
        to_view(
            row,
            acl.deployment_level(row["project"], row["environment"]),
            decode(row["tags"] or "{}"),
            decode(row["ports"] or "{}"),
        )
        for row in rows
    ]


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
