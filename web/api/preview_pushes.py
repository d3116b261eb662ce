"""/api/v1/previews/{registry,dockerhub,push}: image pushes that create or update previews.

- `registry`: the notification endpoint of Docker's distribution registry (Debian's
  `docker-registry`, GitLab's self-managed container registry, …): an envelope of events,
  the token in the endpoint's `headers` (`Authorization: Bearer <secret>`).
- `dockerhub`: Docker Hub's repository webhook, which cannot send headers: `?token=<secret>`.
- `push`: any CI after its `docker push`: `{"repository": "shop/web", "tag": "pr-42"}`.

The token is the webhook secret of a preview rule (docs/previews.md): a registry rule's
makes previews of the image it follows, any rule's wakes the previews waiting for an image.
Pushes to a repository no rule of that token follows are acknowledged (200) and ignored; a
wrong or missing token is a 401 and changes nothing; a body over 1 MiB is a 413.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, Router, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from core.domain import registry_pushes as pushes
from core.errors import InvalidInput
from core.fields import MaxLen, Text
from core.services import registry_pushes
from core.services.registry_pushes import PushOutcome
from web.auth import HOOK_OPT
from web.openapi import ErrorBody

MAX_BODY = 1024 * 1024  # a notification envelope is a few KiB; Docker Hub's well under that
TOO_BIG = {413: ResponseSpec(data_container=ErrorBody, description="The body is over 1 MiB.")}


class PushInput(msgspec.Struct, kw_only=True):
    repository: Annotated[Text, MaxLen(255)]
    tag: Annotated[Text, MaxLen(128)]
    digest: Annotated[Text, MaxLen(128)] = ""
    # A CI that retries sends the same id, and the push is acted on once.
    delivery_id: Annotated[Text, MaxLen(128)] = ""


class PushesReceived(msgspec.Struct, kw_only=True):
    received: list[PushOutcome]


def _token(request: Request, query_token: str | None) -> str:
    sent = request.headers.get("authorization", "").strip()
    scheme, _, value = sent.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    return sent or (query_token or "")


TokenParam = Annotated[
    str | None, Parameter(query="token", default=None, max_length=256, required=False)
]
HOOK = {"opt": {HOOK_OPT: True}, "request_max_body_size": MAX_BODY, "responses": TOO_BIG}


@post("/registry", status_code=200, **HOOK)
async def registry_notification(request: Request, token: TokenParam = None) -> PushesReceived:
    """A distribution registry's notification envelope; only tagged manifest pushes count
    (layer uploads, pulls and deletes are acknowledged and skipped)."""
    rules = await registry_pushes.rules_for_token(_token(request, token))
    body = await request.body()
    found = pushes.from_distribution(body)
    return PushesReceived(received=await registry_pushes.receive("registry", found, rules, body))


@post("/dockerhub", status_code=200, **HOOK)
async def docker_hub_webhook(request: Request, token: TokenParam = None) -> PushesReceived:
    """Docker Hub's push webhook (`callback_url`, `push_data.tag`, `repository.repo_name`)."""
    rules = await registry_pushes.rules_for_token(_token(request, token))
    body = await request.body()
    found = pushes.from_docker_hub(body)
    return PushesReceived(received=await registry_pushes.receive("dockerhub", found, rules, body))


@post("/push", status_code=200, **HOOK)
async def generic_push(request: Request, token: TokenParam = None) -> PushesReceived:
    """What a CI sends after `docker push`; the same `delivery_id` twice acts once."""
    rules = await registry_pushes.rules_for_token(_token(request, token))
    body = await request.body()
    try:
        data = msgspec.json.decode(body, type=PushInput)
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"Send {{repository, tag}} as JSON: {exc}", "body") from None
    push = pushes.checked(data.repository, data.tag, data.digest)
    # Without an id every call is a new push (the same tag may carry a new image).
    push = msgspec.structs.replace(push, event_id=data.delivery_id or uuid.uuid4().hex)
    return PushesReceived(received=await registry_pushes.receive("ci", [push], rules, body))


router = Router(
    path="/previews",
    route_handlers=[registry_notification, docker_hub_webhook, generic_push],
    tags=["previews"],
)
