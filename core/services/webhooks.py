"""Forge webhooks received: find the rule following the repository, check the signature with
its secret, store the delivery once (by delivery id), and turn the event into a preview change.

Nothing is stored for a request whose signature fails or for a repository no rule follows:
the table would otherwise be anyone's to fill. A stored delivery keeps its verified body so
an admin can "redeliver" it (work it again, on purpose).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
import msgspec

from core.actor import Actor
from core.errors import Forbidden, NotFound
from core.forges import events as forge_events
from core.services import preview_rules, previews, registry_pushes
from core.services.audit import Target, audited
from core.tables.previews import WebhookDelivery

log = logging.getLogger("shoal.webhooks")
MAX_BODY = 1024 * 1024  # GitHub caps payloads at 25 MB; a pull request event is ~30 KB


class Answer(msgspec.Struct, kw_only=True):
    status_code: int
    detail: str
    delivery: int | None = None  # the stored delivery's id


class DeliveryView(msgspec.Struct, kw_only=True):
    id: int
    source: str
    delivery_id: str
    event: str
    action: str
    rule_id: int | None
    number: int | None
    deployment_id: int | None
    outcome: str
    payload_size: int
    received_at: Any


def _view(row: dict) -> DeliveryView:
    return DeliveryView(
        id=row["id"],
        source=row["source"],
        delivery_id=row["delivery_id"],
        event=row["event"],
        action=row["action"],
        rule_id=row["rule"],
        number=row["number"],
        deployment_id=row["deployment"],
        outcome=row["outcome"],
        payload_size=row["payload_size"],
        received_at=row["received_at"],
    )


async def receive(forge: str, headers: dict[str, str], body: bytes) -> Answer:
    """`headers` with lower-case names. The answer's status code is what the forge sees."""
    if len(body) > MAX_BODY:
        return Answer(status_code=413, detail=f"The payload is larger than {MAX_BODY} bytes.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Answer(status_code=400, detail="The body is not valid JSON.")
    if not isinstance(payload, dict):
        return Answer(status_code=400, detail="The body is not a JSON object.")
    repository = forge_events.repository_of(forge, payload)
    rules = await preview_rules.rules_for_repository(forge, repository) if repository else []
    rule = next(
        (r for r in rules if forge_events.signature_ok(forge, headers, body, _secret(r))), None
    )
    if rule is None:
        if not rules:  # acknowledged so the forge does not retry forever; nothing stored
            return Answer(status_code=202, detail="No preview rule follows this repository.")
        return Answer(status_code=401, detail="The signature does not match.")
    event = forge_events.event_name(forge, headers)
    delivery = forge_events.delivery_id(forge, headers, body)
    try:
        row = (
            await WebhookDelivery.insert(
                WebhookDelivery(
                    source=forge,
                    delivery_id=delivery,
                    event=event[:64],
                    action=str(payload.get("action") or _gitlab_action(payload))[:64],
                    rule=rule["id"],
                    payload=body.decode(),
                    payload_size=len(body),
                    outcome="received",
                )
            )
            .returning(WebhookDelivery.id)
            .run()
        )[0]
    except asyncpg.UniqueViolationError:
        return Answer(status_code=200, detail="This delivery was already received.")
    outcome = await _work(rule, forge, event, payload, row["id"])
    return Answer(status_code=202, detail=outcome, delivery=row["id"])


def _secret(rule: dict) -> str:
    return preview_rules.webhook_secret(rule)


def _gitlab_action(payload: dict) -> str:
    return str((payload.get("object_attributes") or {}).get("action") or "")


async def _work(rule: dict, forge: str, event: str, payload: dict, delivery_pk: int) -> str:
    """Apply the event; the outcome (what it did, or why nothing) is stored on the delivery."""
    parsed = forge_events.parse(forge, event, payload)
    number, deployment = None, None
    if parsed is None:
        outcome = f"ignored: {event or 'no event'} {payload.get('action') or ''}".strip()
    elif parsed.kind == forge_events.CLOSED:
        preview = await previews.close(rule["id"], parsed.ref.number)
        number = parsed.ref.number
        outcome = "closed: deleting the preview" if preview else "closed: no preview to delete"
        deployment = preview.deployment_id if preview else None
    else:
        preview = await previews.apply(rule["id"], parsed.ref)
        number, deployment = parsed.ref.number, preview.deployment_id
        outcome = f"{parsed.kind}: preview of #{number}"
        if preview.approval == "pending":
            outcome += " waits for approval"
        if preview.error:
            outcome += f" refused: {preview.error}"
    await (
        WebhookDelivery.update(
            {
                WebhookDelivery.outcome: outcome[:255],
                WebhookDelivery.number: number,
                WebhookDelivery.deployment: deployment,
            }
        )
        .where(WebhookDelivery.id == delivery_pk)
        .run()
    )
    return outcome


async def redeliver(actor: Actor, delivery_pk: int) -> DeliveryView:
    """Work a stored delivery again (an admin's "redeliver": after fixing a rule, say)."""
    async with audited(
        actor, "webhook.redeliver", Target("webhook_delivery", delivery_pk)
    ) as audit:
        if not actor.is_admin:
            raise Forbidden("Only admins can redeliver webhooks.")
        row = await WebhookDelivery.select().where(WebhookDelivery.id == delivery_pk).first().run()
        if row is None or row["rule"] is None:
            raise NotFound("No such delivery (or its rule was deleted).")
        rule = await preview_rules.rule_row(row["rule"])
        audit.target = Target(
            "webhook_delivery", delivery_pk, row["delivery_id"], project_id=rule["project"]
        )
        if row["source"] in registry_pushes.SOURCES:  # a registry push (17b's side)
            outcome = await registry_pushes.redeliver(row)
        else:
            outcome = await _work(
                rule, row["source"], row["event"], json.loads(row["payload"]), delivery_pk
            )
        audit.detail = outcome
    return _view(
        await WebhookDelivery.select().where(WebhookDelivery.id == delivery_pk).first().run()
    )


async def deliveries_of_project(project_id: int, limit: int = 30) -> list[DeliveryView]:
    rows = await WebhookDelivery.raw(
        "SELECT d.* FROM webhook_deliveries d JOIN preview_rules r ON r.id = d.rule"
        " WHERE r.project = {} ORDER BY d.id DESC LIMIT {}",
        project_id,
        limit,
    ).run()
    return [_view(row) for row in rows]
