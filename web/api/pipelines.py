"""/api/v1/projects/{id}/pipeline: pipelines as code (DESIGN §7).

Whoever sees the project reads its versions; admins write. A refused graph answers 422 with
`issues` ([{node, message}]) beside the usual `detail`; a save whose `base_version` is no longer
the latest answers 409 and stores nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, Response, Router, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from core.actor import Actor
from core.domain.pipeline_diff import GraphDiff
from core.fields import INT32_MAX, MaxLen, Text
from core.services import access, pipelines
from core.services.pipelines import PipelineInvalid, VersionSummary, VersionView
from web.guards import requires_login
from web.params import IdParam

# The version an edit started from: 0 when the project had none yet.
BaseVersion = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]


class PipelineWrite(msgspec.Struct, kw_only=True):
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    message: Annotated[Text, MaxLen(pipelines.MAX_MESSAGE)] = ""
    # The version this graph was edited from; None = no check.
    base_version: BaseVersion | None = None


class RestoreBody(msgspec.Struct, kw_only=True):
    base_version: BaseVersion | None = None


async def visible(actor: Actor, project_id: int) -> None:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")


def invalid_response(exc: PipelineInvalid) -> Response:
    issues = [{"node": i.node, "message": i.message} for i in exc.issues]
    return Response(
        {"status_code": 422, "detail": exc.detail, "issues": issues},
        status_code=422,
        media_type=MediaType.JSON,
    )


@get("/")
async def get_latest(actor: Actor, project_id: IdParam) -> VersionView:
    await visible(actor, project_id)
    return await pipelines.get_version(project_id)


@put("/")
async def save(actor: Actor, project_id: IdParam, data: PipelineWrite) -> VersionView | Response:
    await visible(actor, project_id)
    graph = {"nodes": data.nodes, "edges": data.edges, "layout": data.layout}
    try:
        return await pipelines.save_pipeline(
            actor, project_id, graph, data.message, data.base_version
        )
    except PipelineInvalid as exc:
        return invalid_response(exc)


@get("/versions")
async def list_versions(actor: Actor, project_id: IdParam) -> list[VersionSummary]:
    await visible(actor, project_id)
    return await pipelines.list_versions(project_id)


@get("/versions/{version:int}")
async def get_version(actor: Actor, project_id: IdParam, version: IdParam) -> VersionView:
    await visible(actor, project_id)
    return await pipelines.get_version(project_id, version)


@post("/versions/{version:int}/restore", status_code=201)
async def restore(
    actor: Actor, project_id: IdParam, version: IdParam, data: RestoreBody | None = None
) -> VersionView | Response:
    await visible(actor, project_id)
    base = data.base_version if data else None
    try:
        return await pipelines.restore_version(actor, project_id, version, base)
    except PipelineInvalid as exc:
        return invalid_response(exc)


@get("/diff")
async def diff(
    actor: Actor,
    project_id: IdParam,
    old: int = Parameter(query="from", ge=1, le=INT32_MAX),
    new: int = Parameter(query="to", ge=1, le=INT32_MAX),
) -> GraphDiff:
    await visible(actor, project_id)
    return await pipelines.diff_versions(project_id, old, new)


router = Router(
    path="/projects/{project_id:int}/pipeline",
    route_handlers=[get_latest, save, list_versions, get_version, restore, diff],
    guards=[requires_login],
    tags=["pipelines"],
)
