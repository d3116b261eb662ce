"""Teams, their members, and their grants (`read`/`full` on a project or an environment)."""

from __future__ import annotations

import asyncpg
import msgspec

from core import validation
from core.actor import Actor
from core.errors import Conflict, Forbidden, NotFound
from core.services.audit import Target, audited
from core.services.unique import name_must_be_free
from core.tables import Environment, Grant, Membership, Project, Team, User

LEVELS = ("read", "full")
TARGETS = ("project", "environment")


class TeamView(msgspec.Struct):
    id: int
    name: str
    description: str
    member_count: int = 0


class MemberView(msgspec.Struct):
    user_id: int
    username: str
    display_name: str
    provider: str = ""
    """The sign-in provider whose group mapping made the membership ("" = added here)."""


class GrantView(msgspec.Struct):
    id: int
    team_id: int
    team_name: str
    target: str
    target_id: int
    target_name: str
    level: str


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage teams and access.")


async def get_team(team_id: int) -> TeamView:
    row = await Team.select().where(Team.id == team_id).first().run()
    if row is None:
        raise NotFound("No such team.")
    count = await Membership.count().where(Membership.team == team_id).run()
    return TeamView(row["id"], row["name"], row["description"], count)


async def list_teams() -> list[TeamView]:
    rows = await Team.select().order_by(Team.name).run()
    counts = {
        r["team"]: r["count"]
        for r in await Membership.raw(
            "SELECT team, count(*) AS count FROM memberships GROUP BY team"
        ).run()
    }
    return [TeamView(r["id"], r["name"], r["description"], counts.get(r["id"], 0)) for r in rows]


async def create_team(actor: Actor, name: str, description: str = "") -> TeamView:
    async with audited(actor, "team.create", Target("team", name=name[:64])) as audit:
        _admin(actor)
        clean = validation.text(name, "name", max_length=64)
        about = validation.text(description, "description", max_length=1000, required=False)
        with name_must_be_free("A team", clean):
            row = (await Team.insert(Team(name=clean, description=about)).returning(Team.id).run())[
                0
            ]
        audit.target = Target("team", row["id"], clean)
    return await get_team(row["id"])


async def rename_team(
    actor: Actor, team_id: int, name: str, description: str | None = None
) -> TeamView:
    async with audited(actor, "team.rename", Target("team", team_id)) as audit:
        _admin(actor)
        team = await get_team(team_id)
        audit.target = Target("team", team.id, team.name)
        clean = validation.text(name, "name", max_length=64)
        changes: dict = {Team.name: clean}
        if description is not None:
            changes[Team.description] = validation.text(
                description, "description", max_length=1000, required=False
            )
        with name_must_be_free("A team", clean):
            await Team.update(changes).where(Team.id == team_id).run()
        audit.detail = f"'{team.name}' → '{clean}'"
    return await get_team(team_id)


async def delete_team(actor: Actor, team_id: int) -> None:
    async with audited(actor, "team.delete", Target("team", team_id)) as audit:
        _admin(actor)
        team = await get_team(team_id)
        audit.target = Target("team", team.id, team.name)
        await Team.delete().where(Team.id == team_id).run()


async def list_members(team_id: int) -> list[MemberView]:
    rows = (
        await Membership.select(
            Membership.user.id.as_alias("user_id"),
            Membership.user.username.as_alias("username"),
            Membership.user.display_name.as_alias("display_name"),
            Membership.provider.display_name.as_alias("provider"),
        )
        .where(Membership.team == team_id)
        .order_by(Membership.user.username)
        .run()
    )
    return [MemberView(**{**r, "provider": r["provider"] or ""}) for r in rows]


async def add_member(actor: Actor, team_id: int, user_id: int) -> None:
    async with audited(actor, "team.add_member", Target("team", team_id)) as audit:
        _admin(actor)
        team = await get_team(team_id)
        audit.target = Target("team", team.id, team.name)
        user = await User.select(User.username).where(User.id == user_id).first().run()
        if user is None:
            raise NotFound("No such user.")
        audit.detail = user["username"]
        try:
            await Membership.insert(Membership(team=team_id, user=user_id)).run()
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(f"{user['username']} is already in {team.name}.", "user_id") from exc


async def remove_member(actor: Actor, team_id: int, user_id: int) -> None:
    async with audited(actor, "team.remove_member", Target("team", team_id)) as audit:
        _admin(actor)
        team = await get_team(team_id)
        audit.target = Target("team", team.id, team.name)
        deleted = (
            await Membership.delete()
            .where((Membership.team == team_id) & (Membership.user == user_id))
            .returning(Membership.id)
            .run()
        )
        if not deleted:
            raise NotFound("That user is not in this team.")
        audit.detail = f"user {user_id}"


async def _target_name(target: str, target_id: int) -> str:
    table = Project if target == "project" else Environment
    row = await table.select(table.name).where(table.id == target_id).first().run()
    if row is None:
        raise NotFound(f"No such {target}.")
    return row["name"]


async def grant(actor: Actor, team_id: int, target: str, target_id: int, level: str) -> GrantView:
    """Create or change the team's grant on the target (one grant per team and target)."""
    async with audited(actor, "grant.set", Target("grant", name=target[:32])) as audit:
        _admin(actor)
        team = await get_team(team_id)
        validation.one_of(target, TARGETS, "target")
        validation.one_of(level, LEVELS, "level")
        name = await _target_name(target, target_id)
        scope = {"project_id": target_id} if target == "project" else {"environment_id": target_id}
        audit.target = Target(target, target_id, name, **scope)
        audit.detail = f"team '{team.name}': {level}"
        column = Grant.project if target == "project" else Grant.environment
        existing = (
            await Grant.select(Grant.id)
            .where((Grant.team == team_id) & (column == target_id))
            .first()
            .run()
        )
        if existing:
            await Grant.update({Grant.level: level}).where(Grant.id == existing["id"]).run()
            grant_id = existing["id"]
        else:
            row = Grant(team=team_id, target=target, level=level)
            setattr(row, "project" if target == "project" else "environment", target_id)
            grant_id = (await Grant.insert(row).returning(Grant.id).run())[0]["id"]
    return GrantView(grant_id, team.id, team.name, target, target_id, name, level)


async def revoke_grant(actor: Actor, grant_id: int) -> None:
    async with audited(actor, "grant.revoke", Target("grant", grant_id)) as a:
        _admin(actor)
        grants = await list_grants(grant_id=grant_id)
        if not grants:
            raise NotFound("No such grant.")
        g = grants[0]
        scope = (
            {"project_id": g.target_id}
            if g.target == "project"
            else {"environment_id": g.target_id}
        )
        a.target = Target(g.target, g.target_id, g.target_name, **scope)
        a.detail = f"team '{g.team_name}': {g.level}"
        await Grant.delete().where(Grant.id == grant_id).run()


async def list_grants(
    *,
    team_id: int | None = None,
    project_id: int | None = None,
    environment_id: int | None = None,
    grant_id: int | None = None,
) -> list[GrantView]:
    query = Grant.select(
        Grant.id,
        Grant.team.id.as_alias("team_id"),
        Grant.team.name.as_alias("team_name"),
        Grant.target,
        Grant.project.id.as_alias("project_id"),
        Grant.project.name.as_alias("project_name"),
        Grant.environment.id.as_alias("environment_id"),
        Grant.environment.name.as_alias("environment_name"),
        Grant.level,
    ).order_by(Grant.id)
    if team_id is not None:
        query = query.where(Grant.team == team_id)
    if project_id is not None:
        query = query.where(Grant.project == project_id)
    if environment_id is not None:
        query = query.where(Grant.environment == environment_id)
    if grant_id is not None:
        query = query.where(Grant.id == grant_id)
    out = []
    for r in await query.run():
        is_project = r["target"] == "project"
        out.append(
            GrantView(
                id=r["id"],
                team_id=r["team_id"],
                team_name=r["team_name"],
                target=r["target"],
                target_id=r["project_id"] if is_project else r["environment_id"],
                target_name=r["project_name"] if is_project else r["environment_name"],
                level=r["level"],
            )
        )
    return out


async def teams_of_user(user_id: int) -> list[TeamView]:
    rows = (
        await Membership.select(
            Membership.team.id.as_alias("id"),
            Membership.team.name.as_alias("name"),
            Membership.team.description.as_alias("description"),
        )
        .where(Membership.user == user_id)
        .order_by(Membership.team.name)
        .run()
    )
    return [TeamView(r["id"], r["name"], r["description"]) for r in rows]
