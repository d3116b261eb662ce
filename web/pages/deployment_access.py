"""A deployment's "URL access" page: the policy that applies to its URLs, and for users with
full access its password and bypass token (rotatable) and its share links (create, revoke).

A new share link is shown on the page the creation re-renders, never through a redirect's
flash cookie: its token exists only in that one answer.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.services import access, deployments, share_links, url_keys
from core.services import url_access_view as views
from web import breadcrumbs
from web.forms import act, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import as_int, form_data, page, redirect


async def _page(request: Request, actor: Actor, deployment_id: int, **extra: Any) -> Template:
    dep = await deployments.get_deployment(actor, deployment_id)
    trail = breadcrumbs.of_deployment(await access.access_for(actor), dep)
    trail[-1] = breadcrumbs.Crumb(dep.name, f"/deployments/{dep.id}")
    trail.append(breadcrumbs.Crumb("URL access"))
    return page(
        request,
        "deployments/access.html",
        status_code=extra.pop("status_code", 200),
        dep=dep,
        trail=trail,
        view=await views.view(actor, deployment_id),
        **extra,
    )


@get("/{deployment_id:int}/access")
async def access_page(request: Request, actor: Actor, deployment_id: IdParam) -> Template:
    return await _page(request, actor, deployment_id)


@post("/{deployment_id:int}/access/share-links")
async def create_link(
    request: Request, actor: Actor, deployment_id: IdParam
) -> Template | Redirect:
    return await submit(
        request,
        lambda data: views.new_share_link(actor, deployment_id, as_int(data.get("hours"))),
        done=lambda created: _page(request, actor, deployment_id, new_link=created),
        redraw=partial(_page, request, actor, deployment_id),
    )


@post("/{deployment_id:int}/access/share-links/{link_id:int}/revoke")
async def revoke_link(
    actor: Actor, deployment_id: IdParam, link_id: IdParam
) -> Template | Redirect:
    back = f"/deployments/{deployment_id}/access"
    await deployments.get_deployment(actor, deployment_id)  # invisible: a 404, not a toast
    return await act(
        share_links.revoke_link(actor, deployment_id, link_id),
        back=back,
        done=lambda _: redirect(
            back, f"Share link #{link_id} revoked: it stops working within seconds."
        ),
    )


@post("/{deployment_id:int}/access/rotate")
async def rotate(request: Request, actor: Actor, deployment_id: IdParam) -> Template | Redirect:
    kind = (await form_data(request)).get("kind", "")
    back = f"/deployments/{deployment_id}/access"
    await deployments.get_deployment(actor, deployment_id)  # invisible: a 404, not a toast
    what = "password" if kind == "password" else "bypass token"
    return await act(
        url_keys.rotate(actor, deployment_id, kind),
        back=back,
        done=lambda _: redirect(back, f"New {what} made; the old one no longer works."),
    )


router = Router(
    path="/deployments",
    route_handlers=[access_page, create_link, revoke_link, rotate],
    guards=[requires_login],
    include_in_schema=False,
)
