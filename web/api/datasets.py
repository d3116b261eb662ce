"""/api/v1 datasets of a project (docs/data.md): whoever sees the project lists them; admins
upload a version (the request body is the dump, streamed to disk), have one fetched from a URL,
and delete a name with all its versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Request, Router, delete, get, post, put
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from core.actor import Actor
from core.fields import MaxLen, Text
from core.services import datasets
from core.services.datasets import DatasetView
from core.services.projects import ProjectView
from web.guards import requires_login
from web.params import IdParam

# Litestar's own limit stays far above any dump; the service counts the bytes as they arrive
# and refuses past `dataset_max_mb` with its own message.
BODY_LIMIT = 1 << 50


class FetchInput(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(63)]
    url: Annotated[Text, MaxLen(2000)]
    sha256: Annotated[Text, MaxLen(64)] = ""  # when given, a file with another hash is refused


@dataclass
class UploadOperation(Operation):
    """Documents the raw body the handler streams itself."""

    def __post_init__(self) -> None:
        schema = Schema(type=OpenAPIType.STRING, format="binary")
        content = {"application/octet-stream": OpenAPIMediaType(schema=schema)}
        self.request_body = RequestBody(content=content, required=True)


def _limit(request: Request) -> int:
    return request.app.state.settings.dataset_max_mb * 1024 * 1024


@get("/projects/{project_id:int}/datasets")
async def list_datasets(project_id: IdParam, visible_project: ProjectView) -> list[DatasetView]:
    """Every version of every dataset, by name, newest version first."""
    return await datasets.list_datasets(project_id)


@put(
    "/projects/{project_id:int}/datasets/{name:str}",
    status_code=201,
    request_max_body_size=BODY_LIMIT,
    operation_class=UploadOperation,
    opt={"reads_body": True},
)
async def upload_dataset(
    request: Request,
    actor: Actor,
    project_id: IdParam,
    name: str,
    visible_project: ProjectView,
    sha256: str = "",
) -> DatasetView:
    """A new version of `name` from the body: a dump made by `pg_dump -Fc` or `-Fp`. Not a
    dump, too large, or not the `sha256` given → 422, nothing kept."""
    settings = request.app.state.settings
    return await datasets.add_version(
        actor,
        project_id,
        name,
        settings.data_path,
        _limit(request),
        chunks=request.stream(),
        expected_sha256=sha256,
    )


@post("/projects/{project_id:int}/datasets/fetch", status_code=201)
async def fetch_dataset(
    request: Request,
    actor: Actor,
    project_id: IdParam,
    data: FetchInput,
    visible_project: ProjectView,
) -> DatasetView:
    """A new version of `name` downloaded from `url`. Unreachable, an error status, an HTML
    page or anything not a dump → 422 naming what happened, nothing kept."""
    return await datasets.add_version(
        actor,
        project_id,
        data.name,
        request.app.state.settings.data_path,
        _limit(request),
        url=data.url.strip(),
        expected_sha256=data.sha256,
    )


@delete("/projects/{project_id:int}/datasets/{name:str}")
async def delete_dataset(
    request: Request, actor: Actor, project_id: IdParam, name: str, visible_project: ProjectView
) -> None:
    """Every version of `name`; 409 naming the deployments while live ones seed from it."""
    await datasets.delete_dataset(actor, project_id, name, request.app.state.settings.data_path)


router = Router(
    path="/",
    route_handlers=[list_datasets, upload_dataset, fetch_dataset, delete_dataset],
    guards=[requires_login],
    tags=["datasets"],
)
