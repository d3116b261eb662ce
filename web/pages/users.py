"""Users (admin): create, disable/enable, admin flag, reset password (new one shown once),
and the teams they are in (the same membership the team page edits, from the user's side)."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.services import accounts, teams
from web.forms import submit
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, page, redirect, refused


async def _index(request: Request, **extra: Any) -> Template:
    return page(request, "users/index.html", users=await accounts.list_users(), **extra)


async def _detail(request: Request, user_id: int, **extra: Any) -> Template:
    return page(
        request,
        "users/detail.html",
        user=await accounts.get_user(user_id),
        user_teams=await teams.teams_of_user(user_id),
        all_teams=await teams.list_teams(),
        **extra,
    )


@get("/")
async def index(request: Request) -> Template:
    return await _index(request)


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: accounts.create_user(
            actor,
            username=data.get("username", ""),
            password=data.get("password", ""),
            display_name=data.get("display_name", ""),
            email=data.get("email", ""),
            is_admin=data.get("is_admin") == "on",
        ),
        done=lambda user: redirect(f"/users/{user.id}", f"User '{user.username}' created."),
        redraw=partial(_index, request),
    )


@get("/{user_id:int}")
async def detail(request: Request, user_id: IdParam) -> Template:
    return await _detail(request, user_id)


@post("/{user_id:int}")
async def update(request: Request, actor: Actor, user_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: accounts.update_user(
            actor,
            user_id,
            display_name=data.get("display_name", ""),
            is_admin=data.get("is_admin") == "on",
            is_active=data.get("is_active") == "on",
        ),
        done=lambda _: redirect(f"/users/{user_id}", "User saved."),
        redraw=partial(_detail, request, user_id),
    )


@post("/{user_id:int}/reset-password")
async def reset_password(request: Request, actor: Actor, user_id: IdParam) -> Template:
    password = await accounts.reset_password(actor, user_id)
    return await _detail(request, user_id, new_password=password)


@post("/{user_id:int}/teams")
async def join_team(request: Request, actor: Actor, user_id: IdParam) -> Template | Redirect:
    async def join(data: dict[str, str]) -> str:
        team_id = as_int(data.get("team_id"), 0) or 0
        await teams.add_member(actor, team_id, user_id)
        return (await teams.get_team(team_id)).name

    return await submit(
        request,
        join,
        done=lambda team: redirect(f"/users/{user_id}", f"Added to the team '{team}'."),
        redraw=partial(_detail, request, user_id),
        # The team picker has one error slot, whatever field the service named.
        kept=lambda exc, _: {**refused(exc), "errors": {"team_id": exc.detail}},
    )


@post("/{user_id:int}/teams/{team_id:int}/leave")
async def leave_team(actor: Actor, user_id: IdParam, team_id: IdParam) -> Redirect:
    await teams.remove_member(actor, team_id, user_id)
    team = await teams.get_team(team_id)
    return redirect(f"/users/{user_id}", f"Removed from the team '{team.name}'.")


router = Router(
    path="/users",
    route_handlers=[index, create, detail, update, reset_password, join_team, leave_team],
    guards=[requires_admin],
    include_in_schema=False,
)
