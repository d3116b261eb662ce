"""Users: create, authenticate (with throttling), disable, reset password, admin flag."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import msgspec

from core import passwords, validation
from core.actor import Actor
from core.domain.login import PasswordLogin
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.services import sessions, throttle
from core.services.audit import Target, audited
from core.services.unique import name_must_be_free
from core.tables import User


class UserView(msgspec.Struct):
    id: int
    username: str
    display_name: str
    email: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None


def _view(row: dict) -> UserView:
    return msgspec.convert(
        {k: row[k] for k in UserView.__struct_fields__ if k in row}, UserView, strict=False
    )


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage users.")


async def get_user(user_id: int) -> UserView:
    row = await User.select().where(User.id == user_id).first().run()
    if row is None:
        raise NotFound("No such user.")
    return _view(row)


async def list_users() -> list[UserView]:
    return [_view(r) for r in await User.select().order_by(User.username).run()]


async def create_user(
    actor: Actor,
    *,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    is_admin: bool = False,
) -> UserView:
    async with audited(actor, "user.create", Target("user", name=username[:64])) as audit:
        if actor.id is not None:  # the system actor bootstraps the first admin
            _require_admin(actor)
        name = validation.username(username)
        display = validation.text(display_name, "display_name", max_length=128, required=False)
        mail = validation.text(email, "email", max_length=254, required=False)
        problem = passwords.password_problem(password)
        if problem:
            raise InvalidInput(problem, "password")
        if await User.exists().where(User.username == name).run():
            raise Conflict(f"A user named '{name}' already exists.", "username")
        with name_must_be_free("A user", name, "username"):
            row = (
                await User.insert(
                    User(
                        username=name,
                        display_name=display,
                        email=mail,
                        password_hash=await passwords.hash_async(password),
                        is_admin=is_admin,
                    )
                )
                .returning(*User.all_columns())
                .run()
            )[0]
        audit.target = Target("user", row["id"], name)
        audit.detail = "admin" if is_admin else ""
        return _view(row)


async def update_user(
    actor: Actor,
    user_id: int,
    *,
    is_admin: bool | None = None,
    is_active: bool | None = None,
    display_name: str | None = None,
) -> UserView:
    async with audited(actor, "user.update", Target("user", user_id)) as audit:
        _require_admin(actor)
        user = await get_user(user_id)
        audit.target = Target("user", user.id, user.username)
        changes: dict = {}
        if is_admin is not None and is_admin != user.is_admin:
            if user.id == actor.id and not is_admin:
                raise Conflict("You cannot remove your own admin rights.", "is_admin")
            changes[User.is_admin] = is_admin
        if is_active is not None and is_active != user.is_active:
            if user.id == actor.id and not is_active:
                raise Conflict("You cannot disable your own account.", "is_active")
            changes[User.is_active] = is_active
        if display_name is not None:
            changes[User.display_name] = validation.text(
                display_name, "display_name", max_length=128, required=False
            )
        if changes:
            await User.update(changes).where(User.id == user.id).run()
        if is_active is False:
            await sessions.end_user_sessions(user.id)
        audit.detail = ", ".join(f"{col._meta.name}={val}" for col, val in changes.items())
    return await get_user(user_id)


async def reset_password(actor: Actor, user_id: int, new_password: str | None = None) -> str:
    """Set a new password (random when none is given) and end the user's sessions."""
    async with audited(actor, "user.reset_password", Target("user", user_id)) as audit:
        if actor.id != user_id:
            _require_admin(actor)
        user = await get_user(user_id)
        audit.target = Target("user", user.id, user.username)
        password = new_password or secrets.token_urlsafe(12)
        problem = passwords.password_problem(password)
        if problem:
            raise InvalidInput(problem, "password")
        await (
            User.update({User.password_hash: await passwords.hash_async(password)})
            .where(User.id == user.id)
            .run()
        )
        await sessions.end_user_sessions(user.id)
    return password


GENERIC_LOGIN_ERROR = "Wrong username or password."
PASSWORDS_OFF = "Password sign-in is turned off here: use your organisation's sign-in above."


async def authenticate(
    username: str,
    password: str,
    address: str,
    limits: throttle.LoginLimits,
    password_login: PasswordLogin,
) -> UserView:
    """The user, or InvalidInput with one generic message; Throttled after repeated failures
    (`limits` and `password_login`: the web runtime's)."""
    name = username.strip().lower()[:64]
    await throttle.check(name, address, limits)
    if not password_login.allows(name):
        raise InvalidInput(PASSWORDS_OFF)
    row = await User.select().where(User.username == name).first().run()
    ok = await passwords.verify_async(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["is_active"]:
        await throttle.record_failure(name, address, limits)
        raise InvalidInput(GENERIC_LOGIN_ERROR)
    await User.update({User.last_login_at: datetime.now(UTC)}).where(User.id == row["id"]).run()
    await throttle.clear(name, address)
    return _view(row)


async def count_admins() -> int:
    return await User.count().where(User.is_admin.eq(True)).run()


async def ensure_first_admin(username: str = "admin", password: str = "") -> str | None:
    """Create the first admin when there is no user yet; return its password (else None)."""
    if await User.count().run() > 0:
        return None
    password = password or secrets.token_urlsafe(12)
    await create_user(Actor.system("shoal up"), username=username, password=password, is_admin=True)
    return password


async def change_own_password(
    actor: Actor, current: str, new_password: str, keep_session: str | None = None
) -> None:
    """A user changing their own password must prove the current one. Every other session of
    theirs ends (a stolen cookie must not outlive the password); `keep_session`, the cookie of
    the session that made the change, stays signed in."""
    async with audited(actor, "user.change_password", Target("user", actor.id, actor.username)):
        row = await User.select(User.password_hash).where(User.id == actor.id).first().run()
        if row is None or not await passwords.verify_async(row["password_hash"], current):
            raise InvalidInput("The current password is not right.", "current_password")
        problem = passwords.password_problem(new_password)
        if problem:
            raise InvalidInput(problem, "new_password")
        hashed = await passwords.hash_async(new_password)
        await User.update({User.password_hash: hashed}).where(User.id == actor.id).run()
        await sessions.end_user_sessions(actor.id or 0, keep=keep_session)


async def admin_names() -> list[str]:
    """Who grants access, as a user would name them: the active admins."""
    rows = (
        await User.select(User.username, User.display_name)
        .where((User.is_admin == True) & (User.is_active == True))  # noqa: E712 (SQL)
        .order_by(User.username)
        .run()
    )
    return [row["display_name"] or row["username"] for row in rows]
