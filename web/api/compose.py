"""/api/v1/projects/{id}/compose: import a compose file as catalog services and a pipeline
version (admins), and export a version as a compose file (whoever sees the project; the
catalog's env values, which only admins read, become variables for the others).

`preview` answers what `import` would create, or why it cannot; neither carries secret
values back. A file that cannot be imported answers 422 with `problems`, one line each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from core.actor import Actor
from core.domain.compose import ComposeInvalid
from core.domain.compose.loading import MAX_BYTES
from core.domain.compose.plan import Choices, Node
from core.errors import InvalidInput
from core.fields import MaxLen, Text
from core.services import compose_export, compose_import, pipelines
from core.services.pipelines import PipelineInvalid, VersionView
from core.services.projects import ProjectView
from web.api.pipelines import BaseVersion, invalid_response
from web.guards import requires_login
from web.params import IdParam, OptionalIdParam

# The file rides in a JSON body: room for a file just over the limit, so the answer is the
# importer's own "at most 10 MB" rather than the server's generic 413.
BODY_LIMIT = MAX_BYTES + 2 * 1024 * 1024
T = TypeVar("T")


class ComposeBody(msgspec.Struct, kw_only=True):
    file: str  # the compose file's text
    choices: Choices = msgspec.field(default_factory=Choices)


class ComposeImportBody(ComposeBody, kw_only=True):
    message: Annotated[Text, MaxLen(pipelines.MAX_MESSAGE)] = ""
    base_version: BaseVersion | None = None


class PreviewView(msgspec.Struct, kw_only=True):
    ok: bool
    nodes: list[Node]
    renamed: dict[str, str]
    left_out: list[str]
    profiles: list[str]
    variables: list[str]
    env_files: list[str]
    secrets: list[str]  # project secrets the import creates (never their values)
    replaced_secrets: list[str]
    refused: list[str]
    problems: list[str]
    notes: list[str]


STRING, OBJECT = OpenAPIType.STRING, OpenAPIType.OBJECT
CHOICES = Schema(
    type=OBJECT,
    description=(
        "variables {NAME: value}, profiles [name], env_files {path: content}, services "
        "{compose name: {registry_id, catalog_name, selectable, tag_pattern}}, secrets "
        "['<node id>.<VAR>'] (absent = the values that look secret)"
    ),
)
PREVIEW_BODY = Schema(
    type=OBJECT,
    required=["file"],
    properties={"file": Schema(type=STRING, description="the compose file"), "choices": CHOICES},
)
IMPORT_BODY = Schema(
    type=OBJECT,
    required=["file"],
    properties={
        **(PREVIEW_BODY.properties or {}),
        "message": Schema(type=STRING),
        "base_version": Schema(type=OpenAPIType.INTEGER, minimum=0),
    },
)


@dataclass
class PreviewOperation(Operation):
    """Documents the body the handler reads itself."""

    def __post_init__(self) -> None:
        content = {"application/json": OpenAPIMediaType(schema=PREVIEW_BODY)}
        self.request_body = RequestBody(content=content, required=True)


@dataclass
class ImportOperation(Operation):
    def __post_init__(self) -> None:
        content = {"application/json": OpenAPIMediaType(schema=IMPORT_BODY)}
        self.request_body = RequestBody(content=content, required=True)


def problems_response(exc: ComposeInvalid) -> Response:
    return Response(
        {"status_code": 422, "detail": exc.detail, "problems": exc.problems},
        status_code=422,
        media_type=MediaType.JSON,
    )


async def _body(request: Request, kind: type[T]) -> T:
    """The body, read only after the access checks (a `data` parameter would be decoded
    before them, and tell a caller who may not ask what was wrong with it)."""
    try:
        return msgspec.json.decode(await request.body(), type=kind)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"{exc}.") from exc
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"The body must be a JSON object {{file, choices}} ({exc}).") from exc


# reads_body: web.openapi documents the 422 of a body the handler decodes itself.
@post(
    "/preview",
    status_code=200,
    request_max_body_size=BODY_LIMIT,
    operation_class=PreviewOperation,
    opt={"reads_body": True},
)
async def preview(
    request: Request, actor: Actor, project_id: IdParam, visible_project: ProjectView
) -> PreviewView | Response:
    """What an import of this file with these choices would create, or why it cannot."""
    compose_import.must_be_admin(actor)
    data = await _body(request, ComposeBody)
    try:
        found = await compose_import.preview(actor, project_id, data.file, data.choices)
    except ComposeInvalid as exc:
        return problems_response(exc)
    plan = found.plan
    return PreviewView(
        ok=plan.ok,
        nodes=plan.nodes,
        renamed=plan.renamed,
        left_out=plan.left_out,
        profiles=plan.profiles,
        variables=plan.variables,
        env_files=plan.env_files,
        secrets=sorted(plan.secret_values),
        replaced_secrets=found.replaced_secrets,
        refused=plan.refused,
        problems=plan.problems,
        notes=plan.notes,
    )


@post(
    "/import",
    status_code=201,
    request_max_body_size=BODY_LIMIT,
    operation_class=ImportOperation,
    opt={"reads_body": True},
)
async def import_file(
    request: Request, actor: Actor, project_id: IdParam, visible_project: ProjectView
) -> VersionView | Response:
    """Create the catalog services, project secrets and a new pipeline version, all or none."""
    compose_import.must_be_admin(actor)
    data = await _body(request, ComposeImportBody)
    try:
        return await compose_import.import_compose(
            actor,
            project_id,
            data.file,
            data.choices,
            message=data.message,
            base_version=data.base_version,
        )
    except ComposeInvalid as exc:
        return problems_response(exc)
    except PipelineInvalid as exc:
        return invalid_response(exc)


@get(
    "/export",
    media_type="application/yaml",
    responses={200: ResponseSpec(data_container=str, media_type="application/yaml")},
)
async def export_file(
    actor: Actor,
    project_id: IdParam,
    visible_project: ProjectView,
    version: OptionalIdParam = None,
) -> Response:
    """A pipeline version (the latest by default) as a compose file; no secret values."""
    name, text = await compose_export.export_compose(actor, project_id, version)
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


router = Router(
    path="/projects/{project_id:int}/compose",
    route_handlers=[preview, import_file, export_file],
    guards=[requires_login],
    tags=["compose"],
)
