"""Personal notifications: "notify me about deployments I created", by e-mail, one channel per
user that only its user sees and changes. It sends through the installation's mail server
(the `smtp_url` setting), so the user gives only the address (their account's by default)."""

from __future__ import annotations

import msgspec

from core.actor import Actor
from core.domain.notifications import PERSONAL_EVENTS
from core.errors import Forbidden, InvalidInput
from core.notifications import config as channel_config
from core.services.audit import Target, audited
from core.tables import NotificationChannel, User


class PersonalView(msgspec.Struct, kw_only=True):
    enabled: bool
    email: str
    events: list[str]
    expiring_minutes: int = 60
    mail_server_configured: bool = True


async def _row(user_id: int) -> dict | None:
    return await (
        NotificationChannel.select()
        .where(NotificationChannel.user == user_id)
        .output(load_json=True)
        .first()
        .run()
    )


async def _account_email(user_id: int) -> str:
    row = await User.select(User.email).where(User.id == user_id).first().run()
    return (row or {}).get("email", "")


async def get_personal(actor: Actor) -> PersonalView:
    if actor.id is None:
        raise Forbidden("Only people have personal notifications.")
    row = await _row(actor.id)
    configured = _server_configured()
    if row is None:
        return PersonalView(
            enabled=False,
            email=await _account_email(actor.id),
            events=list(PERSONAL_EVENTS),
            mail_server_configured=configured,
        )
    return PersonalView(
        enabled=row["enabled"],
        email=row["summary"],
        events=list(row["events"]),
        expiring_minutes=row["expiring_minutes"],
        mail_server_configured=configured,
    )


def _server_configured() -> bool:
    try:
        channel_config.smtp_from_settings()
    except InvalidInput:
        return False
    return True


async def set_personal(
    actor: Actor,
    *,
    enabled: bool,
    email: str = "",
    events: list[str] | None = None,
    expiring_minutes: int = 60,
) -> PersonalView:
    if actor.id is None:
        raise Forbidden("Only people have personal notifications.")
    async with audited(actor, "notifications.personal", Target("user", actor.id)) as audit:
        address = email.strip() or await _account_email(actor.id)
        if enabled and not address:
            raise InvalidInput("Give the e-mail address to notify.", field="email")
        try:
            to = channel_config.recipients(address) if address else []
        except InvalidInput as exc:
            # The channel's field is `to`; here the one address is `email`, where forms show it.
            raise InvalidInput(exc.detail, field="email") from exc
        if len(to) > 1:
            raise InvalidInput("Give one e-mail address.", field="email")
        chosen = [
            e for e in PERSONAL_EVENTS if e in (PERSONAL_EVENTS if events is None else events)
        ]
        if not chosen:
            raise InvalidInput("Choose at least one event.", field="events")
        if not 1 <= expiring_minutes <= 10080:
            raise InvalidInput("Warn between 1 minute and 7 days before expiry.")
        values = {
            NotificationChannel.enabled: enabled,
            NotificationChannel.events: chosen,
            NotificationChannel.expiring_minutes: expiring_minutes,
            NotificationChannel.summary: address,
        }
        row = await _row(actor.id)
        if row is None:
            channel_id = (
                await NotificationChannel.insert(
                    NotificationChannel(
                        name=f"personal:{actor.username}"[:64], kind="email", user=actor.id
                    )
                )
                .returning(NotificationChannel.id)
                .run()
            )[0]["id"]
        else:
            channel_id = row["id"]
        values[NotificationChannel.config_ciphertext] = channel_config.seal(channel_id, {"to": to})
        await NotificationChannel.update(values).where(NotificationChannel.id == channel_id).run()
        audit.detail = f"{'on' if enabled else 'off'}: {', '.join(chosen)}"
    return await get_personal(actor)
