"""/api/v1/deployments/{id}/url-access and …/share-links: who may open a deployment's URLs.

Reading the policy needs read access; the password, the bypass token and share links need
full access (403 otherwise, 404 for a deployment the caller cannot see). A share link's
token is in the answer to its creation only.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Router, get, post

from core.actor import Actor
from core.fields import Between
from core.services import share_links, url_keys
from core.services import url_access_view as views
from core.services.share_links import MAX_HOURS, ShareLinkView
from core.services.url_access_view import NewShareLink, UrlAccessView
from web.guards import requires_login
from web.params import IdParam


class RotateInput(msgspec.Struct, kw_only=True):
    kind: Literal["password", "bypass"]


class ShareLinkInput(msgspec.Struct, kw_only=True):
    hours: Annotated[int, Between(1, MAX_HOURS)] | None = None
    """How long the link works (default 24 h), never past the deployment's own end."""


@get("/{deployment_id:int}/url-access")
async def get_url_access(actor: Actor, deployment_id: IdParam) -> UrlAccessView:
    return await views.view(actor, deployment_id)


@post("/{deployment_id:int}/url-access/rotate", status_code=200)
async def rotate(actor: Actor, deployment_id: IdParam, data: RotateInput) -> UrlAccessView:
    await url_keys.rotate(actor, deployment_id, data.kind)
    return await views.view(actor, deployment_id)


@get("/{deployment_id:int}/share-links")
async def list_share_links(actor: Actor, deployment_id: IdParam) -> list[ShareLinkView]:
    return await share_links.list_links(actor, deployment_id)


@post("/{deployment_id:int}/share-links", status_code=201)
async def create_share_link(
    actor: Actor, deployment_id: IdParam, data: ShareLinkInput | None = None
) -> NewShareLink:
    return await views.new_share_link(actor, deployment_id, data.hours if data else None)


@post("/{deployment_id:int}/share-links/{link_id:int}/revoke", status_code=200)
async def revoke_share_link(
    actor: Actor, deployment_id: IdParam, link_id: IdParam
) -> ShareLinkView:
    return await share_links.revoke_link(actor, deployment_id, link_id)


router = Router(
    path="/deployments",
    route_handlers=[get_url_access, rotate, list_share_links, create_share_link, revoke_share_link],
    guards=[requires_login],
    tags=["deployments"],
)
