"""/api/v1/teams (admin): teams, members and grants (DESIGN §7 names)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Router, delete, get, patch, post

from core.actor import Actor
from core.fields import Id, MaxLen, Text
from core.services import teams
from core.services.teams import GrantView, MemberView, TeamView
from web.guards import requires_admin_api
from web.params import IdParam


class TeamCreate(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(64)]
    description: Annotated[Text, MaxLen(1000)] = ""


class TeamPatch(msgspec.Struct, kw_only=True):
    name: Annotated[Text, MaxLen(64)]
    description: Annotated[Text, MaxLen(1000)] | None = None


class MemberAdd(msgspec.Struct):
    user_id: Id


class GrantCreate(msgspec.Struct):
    target: Text  # project | environment (checked by the service)
    target_id: Id
    level: Text  # read | full


@get("/")
async def list_teams() -> list[TeamView]:
    return await teams.list_teams()


@post("/")
async def create_team(actor: Actor, data: TeamCreate) -> TeamView:
    return await teams.create_team(actor, data.name, data.description)


@get("/{team_id:int}")
async def get_team(team_id: IdParam) -> TeamView:
    return await teams.get_team(team_id)


@patch("/{team_id:int}")
async def rename_team(actor: Actor, team_id: IdParam, data: TeamPatch) -> TeamView:
    return await teams.rename_team(actor, team_id, data.name, data.description)


@delete("/{team_id:int}")
async def delete_team(actor: Actor, team_id: IdParam) -> None:
    await teams.delete_team(actor, team_id)


@get("/{team_id:int}/members")
async def list_members(team_id: IdParam) -> list[MemberView]:
    await teams.get_team(team_id)
    return await teams.list_members(team_id)


@post("/{team_id:int}/members")
async def add_member(actor: Actor, team_id: IdParam, data: MemberAdd) -> list[MemberView]:
    await teams.add_member(actor, team_id, data.user_id)
    return await teams.list_members(team_id)


@delete("/{team_id:int}/members/{user_id:int}")
async def remove_member(actor: Actor, team_id: IdParam, user_id: IdParam) -> None:
    await teams.remove_member(actor, team_id, user_id)


@get("/{team_id:int}/grants")
async def list_grants(team_id: IdParam) -> list[GrantView]:
    await teams.get_team(team_id)
    return await teams.list_grants(team_id=team_id)


@post("/{team_id:int}/grants")
async def create_grant(actor: Actor, team_id: IdParam, data: GrantCreate) -> GrantView:
    return await teams.grant(actor, team_id, data.target, data.target_id, data.level)


@delete("/{team_id:int}/grants/{grant_id:int}")
async def revoke_grant(actor: Actor, team_id: IdParam, grant_id: IdParam) -> None:
    await teams.revoke_grant(actor, grant_id)


router = Router(
    path="/teams",
    route_handlers=[
        list_teams,
        create_team,
        get_team,
        rename_team,
        delete_team,
        list_members,
        add_member,
        remove_member,
        list_grants,
        create_grant,
        revoke_grant,
    ],
    guards=[requires_admin_api],
    tags=["teams"],
)
