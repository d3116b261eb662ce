"""The audit log: admins see every change; others see changes to what their teams can see."""

from __future__ import annotations

from litestar import Request, Router, get
from litestar.response import Template

from core.actor import Actor
from core.services import access, audit
from web.guards import requires_login
from web.params import OptionalIdParam, OptionalTextParam
from web.rendering import page

PAGE_SIZE = 100


@get("/")
async def index(
    request: Request,
    actor: Actor,
    before: OptionalIdParam = None,
    target_type: OptionalTextParam = None,
) -> Template:
    project_ids, environment_ids = await access.visible_ids(actor)
    events = await audit.list_events(
        limit=PAGE_SIZE,
        before_id=before,
        project_ids=project_ids,
        environment_ids=environment_ids,
        target_type=target_type or None,
    )
    return page(
        request,
        "audit/index.html",
        events=events,
        target_type=target_type or "",
        next_before=events[-1].id if len(events) == PAGE_SIZE else None,
    )


router = Router(
    path="/audit", route_handlers=[index], guards=[requires_login], include_in_schema=False
)
