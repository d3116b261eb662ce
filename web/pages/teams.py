"""Teams (admin): create, rename, delete, members, and grants on projects or environments.

The pattern every page area follows: GET renders, POST calls one core service and redirects
with a flash message, or re-renders the same page with the error beside its field and the
input kept (status = the error's status).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.services import accounts, environments, projects, teams
from web.forms import drop_input, submit
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, page, redirect


async def _index(request: Request, **extra: Any) -> Template:
    return page(request, "teams/index.html", teams=await teams.list_teams(), **extra)


async def _detail(request: Request, team_id: int, **extra: Any) -> Template:
    return page(
        request,
        "teams/detail.html",
        team=await teams.get_team(team_id),
        members=await teams.list_members(team_id),
        grants=await teams.list_grants(team_id=team_id),
        users=await accounts.list_users(),
        projects=await projects.list_projects(),
        environments=await environments.list_environments(),
        **extra,
    )


@get("/")
async def index(request: Request) -> Template:
    return await _index(request)


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: teams.create_team(actor, data.get("name", ""), data.get("description", "")),
        done=lambda team: redirect(f"/teams/{team.id}", f"Team '{team.name}' created."),
        redraw=partial(_index, request),
    )


@get("/{team_id:int}")
async def detail(request: Request, team_id: IdParam) -> Template:
    return await _detail(request, team_id)


@post("/{team_id:int}")
async def rename(request: Request, actor: Actor, team_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: teams.rename_team(
            actor, team_id, data.get("name", ""), data.get("description")
        ),
        done=lambda _: redirect(f"/teams/{team_id}", "Team saved."),
        redraw=partial(_detail, request, team_id),
    )


@post("/{team_id:int}/delete")
async def delete(actor: Actor, team_id: IdParam) -> Redirect:
    team = await teams.get_team(team_id)
    await teams.delete_team(actor, team_id)
    return redirect("/teams", f"Team '{team.name}' deleted.")


@post("/{team_id:int}/members")
async def add_member(request: Request, actor: Actor, team_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: teams.add_member(actor, team_id, as_int(data.get("user_id"), 0) or 0),
        done=lambda _: redirect(f"/teams/{team_id}", "Member added."),
        redraw=partial(_detail, request, team_id),
        kept=drop_input,
    )


@post("/{team_id:int}/members/{user_id:int}/remove")
async def remove_member(actor: Actor, team_id: IdParam, user_id: IdParam) -> Redirect:
    await teams.remove_member(actor, team_id, user_id)
    return redirect(f"/teams/{team_id}", "Member removed.")


@post("/{team_id:int}/grants")
async def add_grant(request: Request, actor: Actor, team_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: grant_from(actor, team_id, data),
        done=lambda _: redirect(f"/teams/{team_id}", "Access granted."),
        redraw=partial(_detail, request, team_id),
        kept=drop_input,
    )


async def grant_from(actor: Actor, team_id: int, data: dict[str, str]) -> None:
    """The grant form names its target as `project:3` or `environment:1`."""
    target, _, raw_id = data.get("target", "").partition(":")
    await teams.grant(actor, team_id, target, as_int(raw_id, 0) or 0, data.get("level", ""))


@post("/{team_id:int}/grants/{grant_id:int}/revoke")
async def revoke_grant(actor: Actor, team_id: IdParam, grant_id: IdParam) -> Redirect:
    await teams.revoke_grant(actor, grant_id)
    return redirect(f"/teams/{team_id}", "Access revoked.")


router = Router(
    path="/teams",
    route_handlers=[
        index,
        create,
        detail,
        rename,
        delete,
        add_member,
        remove_member,
        add_grant,
        revoke_grant,
    ],
    guards=[requires_admin],
    include_in_schema=False,
)
