"""Project secrets: write-only values, encrypted under the master key.

Names are identifiers (pipelines refer to them as `${{ secrets.NAME }}`). Views carry the
name, when it was last set and by whom, never the value; only `reveal_secrets` decrypts, for
the pipeline run message sent to an agent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from core import crypto, runtime
from core.actor import Actor
from core.errors import Forbidden, InvalidInput, NotFound
from core.services.audit import Target, audited
from core.services.projects import get_project
from core.tables import Secret

SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_VALUE_BYTES = 64 * 1024
MAX_SECRETS = 500


class SecretView(msgspec.Struct):
    name: str
    updated_at: datetime
    updated_by: str | None


def check_name(name: str) -> str:
    name = name.strip()
    if not SECRET_NAME.fullmatch(name):
        raise InvalidInput(
            "A secret name is a letter or '_' followed by letters, digits or '_' "
            "(at most 64), e.g. DB_PASSWORD.",
            "name",
        )
    return name


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can manage project secrets.")


async def list_secrets(project_id: int) -> list[SecretView]:
    await get_project(project_id)
    rows = await (
        Secret.select(Secret.name, Secret.updated_at, Secret.updated_by.username)
        .where(Secret.project == project_id)
        .order_by(Secret.name)
        .run()
    )
    return [SecretView(r["name"], r["updated_at"], r["updated_by.username"]) for r in rows]


async def set_secret(actor: Actor, project_id: int, name: str, value: str) -> SecretView:
    """Create or replace; the audit log says which, never the value."""
    target = Target("secret", None, name.strip()[:64], project_id=project_id)
    async with audited(actor, "secret.set", target) as audit:
        _admin(actor)
        project = await get_project(project_id)
        audit.target = msgspec.structs.replace(target, name=f"{project.name}/{target.name}")
        name = check_name(name)
        if not value:
            raise InvalidInput("Enter a value (to remove a secret, delete it).", "value")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise InvalidInput("A secret value is at most 64 KB.", "value")
        sealed = runtime.box().encrypt(value, crypto.secret_context(project_id, name))
        now = datetime.now(UTC)
        where = (Secret.project == project_id) & (Secret.name == name)
        existing = await Secret.select(Secret.id).where(where).first().run()
        if existing:
            await (
                Secret.update(
                    {Secret.ciphertext: sealed, Secret.updated_at: now, Secret.updated_by: actor.id}
                )
                .where(Secret.id == existing["id"])
                .run()
            )
            audit.detail = "replaced"
        else:
            if await Secret.count().where(Secret.project == project_id).run() >= MAX_SECRETS:
                raise InvalidInput(f"A project holds at most {MAX_SECRETS} secrets.", "name")
            await Secret.insert(
                Secret(
                    project=project_id,
                    name=name,
                    ciphertext=sealed,
                    updated_at=now,
                    updated_by=actor.id,
                )
            ).run()
            audit.detail = "created"
    return SecretView(name, now, actor.username)


async def delete_secret(actor: Actor, project_id: int, name: str) -> None:
    target = Target("secret", None, name[:64], project_id=project_id)
    async with audited(actor, "secret.delete", target) as audit:
        _admin(actor)
        project = await get_project(project_id)
        audit.target = msgspec.structs.replace(target, name=f"{project.name}/{target.name}")
        where = (Secret.project == project_id) & (Secret.name == name)
        if not await Secret.exists().where(where).run():
            raise NotFound(f"Project '{project.name}' has no secret named '{name}'.")
        await Secret.delete().where(where).run()


async def secret_names(project_id: int) -> set[str]:
    rows = await Secret.select(Secret.name).where(Secret.project == project_id).run()
    return {r["name"] for r in rows}


async def reveal_secrets(project_id: int) -> dict[str, str]:
    """Every secret of the project decrypted, for a pipeline run; DecryptionError if tampered."""
    rows = (
        await Secret.select(Secret.name, Secret.ciphertext)
        .where(Secret.project == project_id)
        .run()
    )
    box = runtime.box()
    return {
        r["name"]: box.decrypt(r["ciphertext"], crypto.secret_context(project_id, r["name"]))
        for r in rows
    }
