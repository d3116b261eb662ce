"""Loads a user's grants from the database into an AccessMap and enforces it for services.

Every page and API route that shows or changes a project-, environment- or deployment-scoped
thing asks here; the rules themselves live in core.domain.access.
"""

from __future__ import annotations

from core import db
from core.actor import Actor
from core.domain.access import AccessMap, GrantFact, Level, build_access
from core.errors import Forbidden, NotFound

GRANTS_SQL = """
SELECT g.target, g.project, g.environment, g.level
FROM grants g JOIN memberships m ON m.team = g.team
WHERE m."user" = $1
"""


async def access_for(actor: Actor) -> AccessMap:
    if actor.is_admin or actor.id is None:
        return AccessMap(is_admin=True, projects={}, environments={})
    rows = await db.fetch(GRANTS_SQL, actor.id)  # raw: runs on nearly every request
    facts = [
        GrantFact(
            target=row["target"],
            target_id=row["project"] if row["target"] == "project" else row["environment"],
            level=Level.parse(row["level"]),
        )
        for row in rows
    ]
    return build_access(False, facts)


async def require_deployment_level(
    actor: Actor, project_id: int, environment_id: int, needed: Level
) -> Level:
    """The actor's level on a deployment; NotFound if invisible, Forbidden if too low."""
    level = (await access_for(actor)).deployment_level(project_id, environment_id)
    if level == Level.NONE:
        raise NotFound("No such deployment.")
    if level < needed:
        raise Forbidden("You have read-only access to this deployment.")
    return level


async def visible_ids(actor: Actor) -> tuple[set[int] | None, set[int] | None]:
    """(project ids, environment ids) the actor may see; (None, None) means everything."""
    access = await access_for(actor)
    if access.is_admin:
        return None, None
    return set(access.projects), set(access.environments)
