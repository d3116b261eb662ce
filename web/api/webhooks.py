"""/api/v1/previews/webhooks/{github,gitlab,gitea}: forge webhooks that open, update and close
previews (docs/previews.md). No session or API token: each request proves itself with the
rule's webhook secret (a signature, or GitLab's token header), so the routes opt out of the
token middleware and the CSRF guard (HOOK_OPT).

Answers: 202 worked (or acknowledged and ignored: another event, an unfollowed repository);
200 a delivery already received (done once); 400 malformed JSON; 401 a bad signature (nothing
changes, nothing is stored); 413 a body over 1 MiB.
"""

from __future__ import annotations

import msgspec
from litestar import Request, Response, Router, post
from litestar.openapi.datastructures import ResponseSpec

from core.services import webhooks
from web.auth import HOOK_OPT
from web.openapi import ErrorBody


class WebhookAnswer(msgspec.Struct, kw_only=True, omit_defaults=True):
    status_code: int
    detail: str
    delivery: int | None = None


def _spec(text: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=text)


HOOK = {
    "opt": {HOOK_OPT: True},
    "request_max_body_size": webhooks.MAX_BODY,
    "status_code": 202,
    "responses": {
        200: ResponseSpec(data_container=WebhookAnswer, description="Already received."),
        400: _spec("The body is not a JSON object."),
        401: _spec("The signature (or GitLab token) does not match the rule's secret."),
        413: _spec("The body is over 1 MiB."),
    },
}


async def _receive(forge: str, request: Request) -> Response[WebhookAnswer]:
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    answer = await webhooks.receive(forge, headers, body)
    return Response(
        WebhookAnswer(
            status_code=answer.status_code, detail=answer.detail, delivery=answer.delivery
        ),
        status_code=answer.status_code,
    )


@post("/github", **HOOK)
async def github_webhook(request: Request) -> Response[WebhookAnswer]:
    """GitHub (and GitHub Enterprise): `pull_request` events, `X-Hub-Signature-256`."""
    return await _receive("github", request)


@post("/gitlab", **HOOK)
async def gitlab_webhook(request: Request) -> Response[WebhookAnswer]:
    """GitLab: `Merge Request Hook` events, the secret token in `X-Gitlab-Token`."""
    return await _receive("gitlab", request)


@post("/gitea", **HOOK)
async def gitea_webhook(request: Request) -> Response[WebhookAnswer]:
    """Gitea and Forgejo: `pull_request` events, `X-Gitea-Signature`."""
    return await _receive("gitea", request)


router = Router(
    path="/previews/webhooks",
    route_handlers=[github_webhook, gitlab_webhook, gitea_webhook],
    tags=["previews"],
)
