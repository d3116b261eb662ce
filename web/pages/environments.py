"""Environments: everyone sees those their teams reach; admins create, edit and delete them."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from core.actor import Actor
from core.domain.idle import parse_minutes
from core.errors import ShoalError
from core.services import access, environments, nodes, teams
from web.forms import drop_input, remove, submit
from web.guards import requires_login
from web.pages.nodes import environment_section as node_section
from web.pages.nodes import node_input, token_page
from web.params import IdParam
from web.rendering import as_int, field_errors, page, redirect

# The sections other areas add to the detail page, each async (actor, environment id) ->
# context with its `environment_sections` templates. Listed here, not registered on import.
DETAIL_SECTIONS = (node_section,)


def environment_input(data: dict[str, str]) -> environments.EnvironmentInput:
    return environments.EnvironmentInput(
        name=data.get("name", ""),
        base_domain=data.get("base_domain", ""),
        cleanup_hours=as_int(data.get("cleanup_hours"), 0) or 0,
        description=data.get("description", ""),
        tls_mode=data.get("tls_mode", "off"),
        url_access=data.get("url_access", "public"),
        # An unticked box sends nothing: only a form that showed the box can turn it off.
        terminals=data.get("terminals") == "on" if data.get("terminals_shown") else True,
        idle_minutes=parse_minutes(data.get("idle_minutes")),
    )


async def _index(request: Request, actor: Actor, **extra: Any) -> Template:
    _, ids = await access.visible_ids(actor)
    found = await environments.list_environments(ids)
    return page(request, "environments/index.html", environments=found, **extra)


async def _detail(request: Request, actor: Actor, environment_id: int, **extra: Any) -> Template:
    acl = await access.access_for(actor)
    if not acl.can_see_environment(environment_id):
        raise NotFoundException("No such environment.")
    context: dict[str, Any] = {"environment_sections": []}
    for extend in DETAIL_SECTIONS:
        added = await extend(actor, environment_id)
        # Each area adds its own section templates; the lists are joined, never replaced.
        context["environment_sections"] += added.pop("environment_sections", [])
        context.update(added)
    return page(
        request,
        "environments/detail.html",
        environment=await environments.get_environment(environment_id),
        level=acl.environment_level(environment_id).label,
        grants=await teams.list_grants(environment_id=environment_id) if actor.is_admin else [],
        all_teams=await teams.list_teams() if actor.is_admin else [],
        **context,
        **extra,
    )


@get("/")
async def index(request: Request, actor: Actor) -> Template:
    return await _index(request, actor)


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: environments.create_environment(actor, environment_input(data)),
        done=lambda env: redirect(f"/environments/{env.id}", f"Environment '{env.name}' created."),
        redraw=partial(_index, request, actor),
    )


@get("/{environment_id:int}")
async def detail(request: Request, actor: Actor, environment_id: IdParam) -> Template:
    return await _detail(request, actor, environment_id)


@post("/{environment_id:int}")
async def update(request: Request, actor: Actor, environment_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: environments.update_environment(
            actor, environment_id, environment_input(data)
        ),
        done=lambda _: redirect(f"/environments/{environment_id}", "Environment saved."),
        redraw=partial(_detail, request, actor, environment_id),
    )


@post("/{environment_id:int}/delete")
async def delete(request: Request, actor: Actor, environment_id: IdParam) -> Template | Redirect:
    return await remove(
        environments.delete_environment(actor, environment_id),
        to="/environments",
        message="Environment deleted.",
        redraw=partial(_detail, request, actor, environment_id),
    )


@post("/{environment_id:int}/grants")
async def add_grant(request: Request, actor: Actor, environment_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: teams.grant(
            actor,
            as_int(data.get("team_id"), 0) or 0,
            "environment",
            environment_id,
            data.get("level", ""),
        ),
        done=lambda _: redirect(f"/environments/{environment_id}", "Access granted."),
        redraw=partial(_detail, request, actor, environment_id),
        kept=drop_input,
    )


@post("/{environment_id:int}/nodes")
async def add_node(request: Request, actor: Actor, environment_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: nodes.add_node(actor, environment_id, node_input(data)),
        done=lambda made: token_page(request, made, created=True),
        redraw=partial(_detail, request, actor, environment_id),
        kept=_node_form,
    )


def _node_form(exc: ShoalError, data: dict[str, str]) -> dict[str, Any]:
    """The Add a node form's own input and error: its `name` is not the environment's."""
    return {"node_form": data, "node_errors": field_errors(exc), "status_code": exc.status_code}


router = Router(
    path="/environments",
    route_handlers=[index, create, detail, update, delete, add_grant, add_node],
    guards=[requires_login],
    include_in_schema=False,
)
