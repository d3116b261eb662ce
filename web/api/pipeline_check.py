"""POST /api/v1/projects/{id}/pipeline/check: what a save of this draft would be refused with.

The editor sends its graph here as the admin edits (unsaved changes included) and draws each
problem on its node; scripts can ask before a PUT. Nothing is stored. The checks are the
save's own (core.services.pipelines.validate_graph), so the two never disagree, and so is the
access rule (editable_project: admins; others who see the project get 403, the rest 404).
The body is read after those checks (`visible_project` is web.visibility's 404 rule), so a
caller who may not ask learns nothing from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar import Request, Router, post
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from core.actor import Actor
from core.domain.pipeline import Issue
from core.errors import InvalidInput
from core.services import pipelines
from core.services.projects import ProjectView
from web.guards import requires_login
from web.params import IdParam

NOT_JSON = "The body must be a JSON object: the draft graph {nodes, edges, layout}."


OBJECT, LIST = Schema(type=OpenAPIType.OBJECT), OpenAPIType.ARRAY
DRAFT = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "nodes": Schema(type=LIST, items=OBJECT),
        "edges": Schema(type=LIST, items=OBJECT),
        "layout": OBJECT,
    },
)


@dataclass
class DraftOperation(Operation):
    """Documents the body the handler reads itself (a `data` parameter would be decoded
    before the access checks)."""

    def __post_init__(self) -> None:
        content = {"application/json": OpenAPIMediaType(schema=DRAFT)}
        self.request_body = RequestBody(content=content, required=True)


class CheckAnswer(msgspec.Struct, kw_only=True):
    """`problems` empty = a save would be accepted (unless another admin saved since)."""

    problems: list[Issue]


# reads_body: web.openapi documents the 422 of a body the handler decodes itself.
@post("/check", status_code=200, operation_class=DraftOperation, opt={"reads_body": True})
async def check(
    request: Request, actor: Actor, project_id: IdParam, visible_project: ProjectView
) -> CheckAnswer:
    """What a save of this draft (`nodes`, `edges`, `layout`) would be refused for, each
    problem on its node; nothing is saved. An empty list: a save would be accepted."""
    await pipelines.editable_project(actor, project_id)
    try:
        raw = msgspec.json.decode(await request.body())
    except (msgspec.DecodeError, RecursionError) as exc:  # msgspec refuses nesting past ~1000
        raise ValidationException(f"{NOT_JSON} ({exc})") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(NOT_JSON)
    _, problems = await pipelines.validate_graph(project_id, raw)
    return CheckAnswer(problems=problems)


router = Router(
    path="/projects/{project_id:int}/pipeline",
    route_handlers=[check],
    guards=[requires_login],
    tags=["pipelines"],
)
