"""Registry pushes → previews: a tag pushed to an image repository that a registry rule
follows, and that its tag template reads (`pr-{number}` reads `pr-7`), creates or updates the
preview of that number; any push also wakes the deployments waiting for an image.

Who may tell us: the caller presents the webhook secret of a preview rule (the registry's
notification endpoint sends it as a header; Docker Hub, which cannot, in the URL). Only the
registry rules holding that secret are acted on; a push to a repository none of them follows is
acknowledged and ignored (a registry notifies about every repository it holds). Each push is
one delivery row, unique per (source, event id), so a notification sent again does its work
once.
"""

from __future__ import annotations

import hashlib

import asyncpg
import msgspec

from core.domain import registry_pushes as pushes
from core.errors import InvalidInput, ShoalError
from core.services import preview_images, preview_refresh, preview_rules, previews
from core.tables.previews import PreviewRule, WebhookDelivery
from core.tokens import same

SOURCES = ("registry", "dockerhub", "ci")


class BadPushToken(ShoalError):
    status_code = 401


class PushOutcome(msgspec.Struct, kw_only=True):
    repository: str
    tag: str
    outcome: str  # what was done, in words: "preview #7 of rule 3", "no rule follows …"
    preview_ids: list[int] = []


async def rules_for_token(token: str) -> list[dict]:
    """The enabled rules whose webhook secret is `token`; BadPushToken if none. A forge
    rule's secret is good too: its pushes make no preview (only registry rules follow an
    image) but wake the previews waiting for an image, with no registry rule needed."""
    rows = (
        await PreviewRule.select().where(PreviewRule.enabled.eq(True)).output(load_json=True).run()
    )
    held = [row for row in rows if row["webhook_secret_ciphertext"]]
    found = [row for row in held if token and same(preview_rules.webhook_secret(row), token)]
    if not found:
        raise BadPushToken("No preview rule has this token (its webhook secret).")
    return found


def rules_for_image(rules: list[dict], push: pushes.Push) -> list[dict]:
    following = [row for row in rules if row["forge"] == "registry"]
    return [row for row in following if pushes.follows(row["registry_repository"], push)]


async def receive(
    source: str, found: list[pushes.Push], rules: list[dict], body: bytes = b""
) -> list[PushOutcome]:
    """Acts on each push once: the `rules` (those of the caller's token) that follow its
    repository get their preview applied; every push also wakes the deployments waiting for
    an image."""
    outcomes = []
    for index, push in enumerate(found):
        delivery_id = push.event_id or _body_id(body, index)
        outcome = await _once(source, delivery_id, push, rules, body)
        outcomes.append(outcome)
    if found:
        await preview_images.wake([(p.repository, p.tag) for p in found])
    return outcomes


def _body_id(body: bytes, index: int) -> str:
    return f"{hashlib.sha256(body).hexdigest()[:40]}-{index}"


def stored_push(row: dict) -> pushes.Push:
    """The push a stored delivery row was about, read again from its kept body."""
    body = row["payload"].encode()
    if row["source"] == "registry":
        found = [p for p in pushes.from_distribution(body) if p.event_id == row["delivery_id"]]
    elif row["source"] == "dockerhub":
        found = pushes.from_docker_hub(body)
    else:
        sent = msgspec.json.decode(body)
        found = [pushes.checked(str(sent.get("repository", "")), str(sent.get("tag", "")))]
    if not found:
        raise InvalidInput("This delivery's push cannot be read again from its stored body.")
    return found[0]


async def redeliver(row: dict) -> str:
    """An admin works a stored push again (after fixing a rule, say): every enabled registry
    rule following its repository acts on it, as if the registry had just sent it."""
    rules = (
        await PreviewRule.select()
        .where((PreviewRule.forge == "registry") & PreviewRule.enabled.eq(True))
        .output(load_json=True)
        .run()
    )
    push = stored_push(row)
    outcome, first_rule, _, deployment = await _apply(push, rules)
    await (
        WebhookDelivery.update(
            {
                WebhookDelivery.outcome: outcome[:255],
                WebhookDelivery.rule: first_rule or row["rule"],
                WebhookDelivery.deployment: deployment,
            }
        )
        .where(WebhookDelivery.id == row["id"])
        .run()
    )
    await preview_images.wake([(push.repository, push.tag)])
    return outcome


async def _once(
    source: str, delivery_id: str, push: pushes.Push, rules: list[dict], body: bytes
) -> PushOutcome:
    try:
        row = (
            await WebhookDelivery.insert(
                WebhookDelivery(
                    source=source,
                    delivery_id=delivery_id[:128],
                    event="push",
                    action=f"{push.repository}:{push.tag}"[:64],
                    payload=body.decode(errors="replace"),
                    payload_size=len(body),
                )
            )
            .returning(WebhookDelivery.id)
            .run()
        )[0]
    except asyncpg.UniqueViolationError:
        return PushOutcome(repository=push.repository, tag=push.tag, outcome="already received")
    outcome, first_rule, preview_ids, deployment = await _apply(push, rules)
    await (
        WebhookDelivery.update(
            {
                WebhookDelivery.outcome: outcome[:255],
                WebhookDelivery.rule: first_rule,
                WebhookDelivery.deployment: deployment,
            }
        )
        .where(WebhookDelivery.id == row["id"])
        .run()
    )
    return PushOutcome(
        repository=push.repository, tag=push.tag, outcome=outcome, preview_ids=preview_ids
    )


async def _apply(
    push: pushes.Push, rules: list[dict]
) -> tuple[str, int | None, list[int], int | None]:
    following = rules_for_image(rules, push)
    refreshed = await preview_refresh.refresh(rules, push)
    if not following and not refreshed:
        return f"ignored: no rule follows {push.repository}", None, [], None
    done, preview_ids, deployment = [line for _, line in refreshed], [], None
    for rule in following:
        ref = pushes.ref_for(rule, push)
        if ref is None:
            done.append(f"rule {rule['id']}: '{push.tag}' is not one of its tags")
            continue
        view = await previews.apply(rule["id"], ref)
        preview_ids.append(view.id)
        deployment = deployment or view.deployment_id
        done.append(f"rule {rule['id']}: preview #{ref.number}")
    first_rule = following[0]["id"] if following else refreshed[0][0]
    return "; ".join(done), first_rule, preview_ids, deployment
