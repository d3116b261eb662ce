"""Provider groups → Shoal teams (and the admin role), applied at each sign-in.

Only what a provider gave is taken back: a membership an admin added by hand has no
`provider` and stays; admin rights set by hand (`admin_from_sso` false) stay too.
"""

from __future__ import annotations

import msgspec

from core import validation
from core.actor import Actor
from core.errors import Forbidden, InvalidInput, NotFound
from core.services import sessions
from core.services.audit import Target, audited
from core.tables import GroupMapping, Membership, OidcProvider, Team, User


class MappingView(msgspec.Struct):
    id: int
    group_name: str
    team_id: int | None
    team_name: str
    grants_admin: bool


class SyncResult(msgspec.Struct):
    joined: list[str]
    left: list[str]
    is_admin: bool


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can map provider groups.")


async def list_mappings(provider_id: int) -> list[MappingView]:
    rows = (
        await GroupMapping.select(
            GroupMapping.id,
            GroupMapping.group_name,
            GroupMapping.team.id.as_alias("team_id"),
            GroupMapping.team.name.as_alias("team_name"),
            GroupMapping.grants_admin,
        )
        .where(GroupMapping.provider == provider_id)
        .order_by(GroupMapping.group_name)
        .run()
    )
    return [MappingView(**{**r, "team_name": r["team_name"] or ""}) for r in rows]


async def add_mapping(
    actor: Actor, provider_id: int, group_name: str, *, team_id: int | None, grants_admin: bool
) -> MappingView:
    async with audited(actor, "sso.map_group", Target("sso_provider", provider_id)) as audit:
        _admin(actor)
        provider = (
            await OidcProvider.select(OidcProvider.name)
            .where(OidcProvider.id == provider_id)
            .first()
            .run()
        )
        if provider is None:
            raise NotFound("No such sign-in provider.")
        audit.target = Target("sso_provider", provider_id, provider["name"])
        group = validation.text(group_name, "group_name", max_length=255)
        if team_id is None and not grants_admin:
            raise InvalidInput("Choose a team, or tick 'grants admin'.", "team_id")
        team_name = ""
        if team_id is not None:
            team = await Team.select(Team.name).where(Team.id == team_id).first().run()
            if team is None:
                raise InvalidInput("No such team.", "team_id")
            team_name = team["name"]
        duplicate = GroupMapping.exists().where(
            (GroupMapping.provider == provider_id)
            & (GroupMapping.group_name == group)
            & (GroupMapping.grants_admin == grants_admin)
        )
        duplicate = duplicate.where(
            GroupMapping.team.is_null() if team_id is None else GroupMapping.team == team_id
        )
        if await duplicate.run():
            raise InvalidInput("This group is already mapped so.", "group_name")
        row = GroupMapping(
            provider=provider_id, group_name=group, team=team_id, grants_admin=grants_admin
        )
        inserted = await GroupMapping.insert(row).returning(GroupMapping.id).run()
        audit.detail = f"{group} → {team_name or ''}{' + admin' if grants_admin else ''}"
    return MappingView(inserted[0]["id"], group, team_id, team_name, grants_admin)


async def remove_mapping(actor: Actor, provider_id: int, mapping_id: int) -> None:
    async with audited(actor, "sso.unmap_group", Target("sso_provider", provider_id)) as audit:
        _admin(actor)
        deleted = (
            await GroupMapping.delete()
            .where((GroupMapping.id == mapping_id) & (GroupMapping.provider == provider_id))
            .returning(GroupMapping.group_name)
            .run()
        )
        if not deleted:
            raise NotFound("No such group mapping.")
        audit.detail = deleted[0]["group_name"]


def groups_of(claims: dict, claim_name: str) -> set[str]:
    """The groups a provider sent: a list of names, or one name (some providers do that)."""
    value = claims.get(claim_name) if claim_name else None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {g for g in value if isinstance(g, str)}
    return set()


async def sync_user(provider_id: int, user_id: int, groups: set[str]) -> SyncResult:
    """Make the user's provider-given memberships and admin role match `groups`."""
    mappings = await GroupMapping.select().where(GroupMapping.provider == provider_id).run()
    wanted = {m["team"] for m in mappings if m["group_name"] in groups and m["team"]}
    admin = any(m["grants_admin"] and m["group_name"] in groups for m in mappings)
    held = (
        await Membership.select(Membership.team, Membership.provider)
        .where(Membership.user == user_id)
        .run()
    )
    have = {m["team"] for m in held}
    from_here = {m["team"] for m in held if m["provider"] == provider_id}
    joined, left = sorted(wanted - have), sorted(from_here - wanted)
    async with Membership._meta.db.transaction():
        if joined:
            rows = [Membership(team=t, user=user_id, provider=provider_id) for t in joined]
            await Membership.insert(*rows).on_conflict(action="DO NOTHING").run()
        if left:
            await (
                Membership.delete()
                .where(
                    (Membership.user == user_id)
                    & (Membership.provider == provider_id)
                    & Membership.team.is_in(left)
                )
                .run()
            )
        user = (
            await User.select(User.is_admin, User.admin_from_sso)
            .where(User.id == user_id)
            .first()
            .run()
        )
        is_admin = bool(user and user["is_admin"])
        if admin and not is_admin:
            changes = {User.is_admin: True, User.admin_from_sso: True}
            await User.update(changes).where(User.id == user_id).run()
            is_admin = True
        elif not admin and user and user["admin_from_sso"]:
            changes = {User.is_admin: False, User.admin_from_sso: False}
            await User.update(changes).where(User.id == user_id).run()
            is_admin = False
    if joined or left or is_admin != bool(user and user["is_admin"]):
        sessions.forget_user(user_id)  # this process's cached sessions see the change at once
    names = {r["id"]: r["name"] for r in await Team.select(Team.id, Team.name).run()}
    return SyncResult([names[t] for t in joined], [names[t] for t in left], is_admin)
