"""Users (admin): create, disable/enable, admin flag, reset password (new one shown once),
and the teams they are in (the same membership the team page edits, from the user's side)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import ShoalError
from core.services import accounts, teams
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, form_data, page, redirect, refused


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
    data = await form_data(request)
    try:
        user = await accounts.create_user(
            actor,
            username=data.get("username", ""),
            password=data.get("password", ""),
            display_name=data.get("display_name", ""),
            email=data.get("email", ""),
            is_admin=data.get("is_admin") == "on",
        )
    except ShoalError as exc:
        return await _index(request, **refused(exc, data))
    return redirect(f"/users/{user.id}", f"User '{user.username}' created.")


@get("/{user_id:int}")
async def detail(request: Request, user_id: IdParam) -> Template:
    return await _detail(request, user_id)


@post("/{user_id:int}")
async def update(request: Request, actor: Actor, user_id: IdParam) -> Template | Redirect:
    data = await form_data(request)
    try:
        await accounts.update_user(
            actor,
            user_id,
            display_name=data.get("display_name", ""),
            is_admin=data.get("is_admin") == "on",
            is_active=data.get("is_active") == "on",
        )
    except ShoalError as exc:
        return await _detail(request, user_id, **refused(exc))
    return redirect(f"/users/{user_id}", "User saved.")


@post("/{user_id:int}/reset-password")
async def reset_password(request: Request, actor: Actor, user_id: IdParam) -> Template:
    password = await accounts.reset_password(actor, user_id)
    return await _detail(request, user_id, new_password=password)


@post("/{user_id:int}/teams")
async def join_team(request: Request, actor: Actor, user_id: IdParam) -> Template | Redirect:
    team_id = as_int((await form_data(request)).get("team_id"), 0) or 0
    try:
        await teams.add_member(actor, team_id, user_id)
    except ShoalError as exc:
        return await _detail(
            request, user_id, **{**refused(exc), "errors": {"team_id": exc.detail}}
        )
    team = await teams.get_team(team_id)
    return redirect(f"/users/{user_id}", f"Added to the team '{team.name}'.")


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
