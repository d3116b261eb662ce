"""Project secrets page and panel: names with "set 3 days ago by …", replace and delete.

Values are write-only: the form sends one, nothing ever renders one. People who can see the
project see the names; only admins change them. `/projects/{id}/secrets/panel` is the
fragment the project page embeds (`hx-get … hx-trigger="load"`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.services import access, projects, secrets
from web.forms import keep_except, submit
from web.guards import requires_login
from web.params import IdParam
from web.rendering import form_data, page, redirect


async def _context(actor: Actor, project_id: int) -> dict[str, Any]:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")
    return {
        "project": await projects.get_project(project_id),
        "secrets": await secrets.list_secrets(project_id),
    }


def _back(project_id: int, data: dict[str, str]) -> str:
    """Where to return after a change: the page the form was on, never off-site."""
    target = data.get("next", "")
    own = f"/projects/{project_id}"
    return target if target == own or target.startswith(own + "/") else f"{own}/secrets"


async def _drawn(request: Request, context: dict[str, Any], **extra: Any) -> Template:
    return page(request, "catalog/project_secrets.html", **context, **extra)


@get("/")
async def index(request: Request, actor: Actor, project_id: IdParam) -> Template:
    return page(request, "catalog/project_secrets.html", **await _context(actor, project_id))


@get("/panel")
async def panel(request: Request, actor: Actor, project_id: IdParam) -> Template:
    context = await _context(actor, project_id)
    return page(
        request, "partials/catalog/secrets_panel.html", next=f"/projects/{project_id}", **context
    )


@post("/")
async def set_secret(request: Request, actor: Actor, project_id: IdParam) -> Template | Redirect:
    context = await _context(actor, project_id)  # an invisible project: a 404 before anything

    async def save(data: dict[str, str]) -> Redirect:
        saved = await secrets.set_secret(
            actor, project_id, data.get("name", ""), data.get("value", "")
        )
        return redirect(_back(project_id, data), f"Secret {saved.name} saved.")

    return await submit(
        request,
        save,
        done=lambda back: back,
        redraw=partial(_drawn, request, context),
        kept=keep_except("value"),  # the value is never echoed back
    )


@post("/{name:str}/delete")
async def delete_secret(
    request: Request, actor: Actor, project_id: IdParam, name: str
) -> Template | Redirect:
    data = await form_data(request)
    await _context(actor, project_id)
    await secrets.delete_secret(actor, project_id, name)
    return redirect(_back(project_id, data), f"Secret {name} deleted.")


router = Router(
    path="/projects/{project_id:int}/secrets",
    route_handlers=[index, panel, set_secret, delete_secret],
    guards=[requires_login],
    include_in_schema=False,
)
