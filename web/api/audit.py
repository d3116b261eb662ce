"""/api/v1/audit: the audit log, filtered to what the caller may see, newest first."""

from __future__ import annotations

from litestar import Router, get
from litestar.params import Parameter

from core.actor import Actor
from core.services import access, audit
from core.services.audit import AuditRow
from web.guards import requires_login
from web.params import OptionalIdParam, OptionalTextParam


@get("/")
async def list_events(
    actor: Actor,
    before: OptionalIdParam = None,
    target_type: OptionalTextParam = None,
    limit: int = Parameter(default=100, ge=1, le=1000),
) -> list[AuditRow]:
    project_ids, environment_ids = await access.visible_ids(actor)
    return await audit.list_events(
        limit=limit,
        before_id=before,
        project_ids=project_ids,
        environment_ids=environment_ids,
        target_type=target_type,
    )


router = Router(
    path="/audit", route_handlers=[list_events], guards=[requires_login], tags=["audit"]
)
