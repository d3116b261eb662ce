"""Issue 17: registry pushes and previews waiting for their image, in-process against the
app on the test database and the session's real registry (no agent: a released preview goes
as far as `pending` on the world's node; web/test_registry_previews.py runs it all).

- the push endpoints answer 401 to a wrong or missing token and change nothing; a push to a
  repository no rule follows is acknowledged (200) and ignored; a tag the rule's template does
  not read is ignored; the same notification twice acts once; malformed is 422, huge 413;
- a preview whose tag is not in the registry waits (`waiting_for_image`, said on the page with
  the tag), is released by the check once the tag is pushed, and fails past the wait limit
  naming the image that never came;
- a push the rule did not read is worked again by an admin's "redeliver" once the rule reads it;
- a new image under a running preview's tag replaces it; an update whose image is not built yet
  leaves the running deployment serving until it is (or the wait gives up).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from core import runtime
from core.domain import status
from core.services import (
    accounts,
    lifecycle,
    preview_images,
    preview_rules,
    previews,
)
from core.tables import Deployment
from core.tables.previews import Preview, WebhookDelivery
from shoaltest.registry import serve_from
from shoaltest.web import api_client

pytestmark = [pytest.mark.docker]
SECRET = "push-secret-1"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def envelope(repository: str, tag: str, event_id: str, digest: str = "sha256:" + "b" * 64):
    target = {"mediaType": MANIFEST, "repository": repository, "tag": tag, "digest": digest}
    layer = {"mediaType": "application/octet-stream", "repository": repository, "digest": digest}
    events = [
        {"id": f"{event_id}-layer", "action": "push", "target": layer},
        {"id": event_id, "action": "push", "target": target, "request": {"host": "x"}},
    ]
    return json.dumps({"events": events}).encode()


@pytest.fixture
async def rule(world, registry, busybox_image, docker_client):
    """A registry rule following shop/pv-web (`pr-{number}` → service `web`) on a real
    registry; the world's `api` service is pinned and never checked."""
    docker_client.images.get(busybox_image).tag("shoal-test/pv-web", "base")
    await serve_from(world.admin, registry, "web", "shop/pv-web")
    made = await preview_rules.create_rule(
        world.admin,
        world.project_id,
        preview_rules.RuleInput(
            environment_id=world.env_id,
            forge="registry",
            registry_repository="shop/pv-web",
            tag_templates={"web": "pr-{number}"},
            webhook_secret=SECRET,
        ),
    )
    return made


async def post(client, path: str, body: bytes, bearer: str | None = SECRET, query: str = ""):
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    params = {"token": query} if query else {}
    url = f"/api/v1/previews/{path}"
    return await client.post(url, content=body, headers=headers, params=params)


async def test_pushes_are_authenticated_acknowledged_and_acted_on_once(client, rule):
    body = envelope("shop/pv-web", "pr-7", "ev-1")
    for token in (None, "wrong"):
        refused = await post(client, "registry", body, token)
        assert refused.status_code == 401, refused.text
        assert refused.json()["status_code"] == 401
    assert await WebhookDelivery.count() == 0

    other = await post(client, "registry", envelope("someone/else", "pr-7", "ev-0"))
    assert other.status_code == 200, other.text
    assert other.json()["received"][0]["outcome"] == "ignored: no rule follows someone/else"
    assert await Preview.count() == 0

    first = await post(client, "registry", body)
    assert first.status_code == 200, first.text
    [outcome] = first.json()["received"]  # the layer upload is not a push of a tag
    assert outcome["outcome"] == f"rule {rule.id}: preview #7"
    again = await post(client, "registry", body)  # the registry retries a delivery
    assert again.json()["received"][0]["outcome"] == "already received"
    row = await Preview.select().where(Preview.number == 7).output(load_json=True).first()
    assert (row["tags"], row["generation"]) == ({"web": "pr-7"}, 1)

    newer = envelope("shop/pv-web", "pr-7", "ev-2", digest="sha256:" + "c" * 64)
    assert (await post(client, "registry", newer)).status_code == 200  # a new image, same tag
    assert await Preview.select(Preview.generation).where(Preview.number == 7).first() == {
        "generation": 2
    }

    latest = await post(client, "push", b'{"repository": "shop/pv-web", "tag": "latest"}')
    assert (
        latest.json()["received"][0]["outcome"]
        == f"rule {rule.id}: 'latest' is not one of its tags"
    )
    hub = {"push_data": {"tag": "pr-9"}, "repository": {"repo_name": "shop/pv-web"}}
    by_hub = await post(client, "dockerhub", json.dumps(hub).encode(), None, SECRET)
    assert by_hub.json()["received"][0]["outcome"] == f"rule {rule.id}: preview #9"

    assert (await post(client, "registry", b"{nope")).status_code == 422
    assert (await post(client, "push", b'{"repository": "shop/pv-web"}')).status_code == 422
    bad_tag = await post(client, "push", b'{"repository": "shop/pv-web", "tag": "a/b"}')
    assert bad_tag.status_code == 422 and "not allowed" in bad_tag.json()["detail"]
    huge = await post(client, "registry", b'{"events": [' + b" " * (2 * 1024 * 1024) + b"]}")
    assert huge.status_code == 413
    assert await Preview.count() == 2


async def test_a_preview_waits_for_its_image_then_deploys_or_fails_in_time(
    client, rule, world, registry, web_app
):
    await previews.apply(rule.id, previews.PreviewRef(number=11, tags={"web": "pr-11"}))
    await previews.apply(rule.id, previews.PreviewRef(number=12, tags={"web": "pr-12"}))
    waiting = {}
    for number in (11, 12):
        preview_id = (await Preview.select(Preview.id).where(Preview.number == number).first())[
            "id"
        ]
        assert await previews.reconcile(preview_id) == "held"
        row = await Preview.select(Preview.deployment).where(Preview.id == preview_id).first()
        waiting[number] = row["deployment"]
        dep = (
            await Deployment.select(Deployment.status)
            .where(Deployment.id == row["deployment"])
            .first()
        )
        assert dep["status"] == status.WAITING_FOR_IMAGE

    assert (await client.login("admin", "admin-password-1")).status_code == 303
    page = await client.get(f"/deployments/{waiting[11]}")
    assert "Waiting for image web <code>pr-11</code>: it deploys as soon" in page.text
    assert "<code>1.0</code>" not in page.text  # the pinned api's tag is no image to wait for

    nothing_yet = {"released": [], "failed": [], "waiting": sorted(waiting.values()), "updates": []}
    assert await preview_images.check_waiting() == nothing_yet
    registry.push("shoal-test/pv-web:base", "shop/pv-web", "pr-11")
    # The registry may hold a forge rule's secret only: its push makes no preview but wakes
    # the waiting ones (one check job queued at once, not a minute later).
    await preview_rules.create_rule(world.admin, world.project_id, preview_rules.RuleInput(
        environment_id=world.env_id, repository="acme/shop", webhook_secret="forge-secret",
        tag_templates={"web": "pr-{number}"}))  # fmt: skip
    queued = await runtime.queue().count("queued")
    woke = await post(client, "registry", envelope("shop/pv-web", "pr-11", "ev-11"), "forge-secret")
    assert woke.json()["received"][0]["outcome"] == "ignored: no rule follows shop/pv-web"
    assert await runtime.queue().count("queued") == queued + 1
    done = await preview_images.check_waiting()
    assert done["released"] == [waiting[11]] and done["waiting"] == [waiting[12]]
    dep = (
        await Deployment.select(Deployment.status, Deployment.node)
        .where(Deployment.id == waiting[11])
        .first()
    )
    assert dep == {"status": status.PENDING, "node": world.node_id}

    later = datetime.now(UTC) + timedelta(minutes=31)
    assert (await preview_images.check_waiting(later))["failed"] == [waiting[12]]
    dep = (
        await Deployment.select(Deployment.status, Deployment.error)
        .where(Deployment.id == waiting[12])
        .first()
    )
    assert dep["status"] == status.FAILED
    assert "shop/pv-web:pr-12 did not appear in the registry within 30 minutes" in dep["error"]


async def test_a_push_the_rule_missed_is_redelivered_after_fixing_the_rule(
    client, rule, world, web_app
):
    body = envelope("shop/pv-web", "preview-20", "ev-20")
    missed = await post(client, "registry", body)
    assert missed.json()["received"][0]["outcome"] == (
        f"rule {rule.id}: 'preview-20' is not one of its tags"
    )
    assert await Preview.count() == 0
    fixed = preview_rules.RuleInput(
        environment_id=world.env_id,
        forge="registry",
        registry_repository="shop/pv-web",
        tag_templates={"web": "preview-{number}"},
    )
    await preview_rules.update_rule(world.admin, rule.id, fixed)
    delivery = await WebhookDelivery.select(WebhookDelivery.id).where(
        WebhookDelivery.delivery_id == "ev-20"
    ).first()  # fmt: skip
    admin = await api_client(web_app, await accounts.get_user(world.admin.id))
    async with admin:
        again = await admin.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == f"rule {rule.id}: preview #20"
    row = (
        await Preview.select(Preview.tags)
        .where(Preview.number == 20)
        .output(load_json=True)
        .first()
    )
    assert row == {"tags": {"web": "preview-20"}}


async def test_a_new_image_under_a_running_pull_requests_tag_replaces_its_preview(
    client, rule, world, registry
):
    """A forge rule's preview runs `pr-30`; CI pushes a new image under `pr-30` and the
    registry notifies with the forge rule's secret: that preview is applied again."""
    forge = await preview_rules.create_rule(world.admin, world.project_id, preview_rules.RuleInput(
        environment_id=world.env_id, repository="acme/shop", webhook_secret="forge-secret",
        tag_templates={"web": "pr-{number}"}))  # fmt: skip
    registry.push("shoal-test/pv-web:base", "shop/pv-web", "pr-30")
    ref = previews.PreviewRef(number=30, branch="login", head_sha="a" * 40, author="ann")
    made = await previews.apply(forge.id, ref)
    assert await previews.reconcile(made.id) == "created"

    def notify(repository: str, tag: str, event_id: str):
        body = envelope(repository, tag, event_id, digest="sha256:" + "d" * 64)
        return post(client, "registry", body, "forge-secret")

    outcome = (await notify("shop/pv-web", "pr-30", "ev-30")).json()["received"][0]["outcome"]
    assert outcome == f"rule {forge.id}: preview #30 gets the new image"
    row = await Preview.select().where(Preview.id == made.id).output(load_json=True).first()
    assert (row["generation"], row["tags"], row["head_sha"]) == (2, {"web": "pr-30"}, "a" * 40)
    for repository, tag, event_id in (("shop/pv-web", "pr-31", "ev-31"),
                                      ("shop/other", "pr-30", "ev-32")):  # fmt: skip
        ignored = (await notify(repository, tag, event_id)).json()["received"][0]["outcome"]
        assert ignored.startswith("ignored: no rule follows")
    assert (await Preview.select(Preview.generation).where(Preview.id == made.id).first()) == {
        "generation": 2
    }


async def test_an_update_whose_image_is_not_built_yet_keeps_the_running_preview(
    rule, world, registry
):
    """`sha-{sha7}`: a new commit's image does not exist until CI pushes it. The running
    deployment keeps serving meanwhile (not deleted first); the minutely check brings the
    update back; past the wait limit the preview says which image never came."""
    forge = await preview_rules.create_rule(world.admin, world.project_id, preview_rules.RuleInput(
        environment_id=world.env_id, repository="acme/shop", webhook_secret="forge-secret",
        tag_templates={"web": "sha-{sha7}"}))  # fmt: skip
    registry.push("shoal-test/pv-web:base", "shop/pv-web", "sha-aaaaaaa")
    ref = previews.PreviewRef(number=50, head_sha="a" * 40, author="ann")
    made = await previews.apply(forge.id, ref)
    assert await previews.reconcile(made.id) == "created"
    dep_id = (await Preview.select(Preview.deployment).where(Preview.id == made.id).first())[
        "deployment"
    ]
    assert await lifecycle.move(dep_id, status.RUNNING)  # as its agent would report it

    await previews.apply(forge.id, previews.PreviewRef(number=50, head_sha="b" * 40, author="ann"))
    assert await previews.reconcile(made.id) == preview_images.NOT_YET
    dep = await Deployment.select(Deployment.status, Deployment.tags).where(
        Deployment.id == dep_id
    ).output(load_json=True).first()  # fmt: skip
    assert dep == {"status": status.RUNNING, "tags": {"api": "1.0", "web": "sha-aaaaaaa"}}
    row = await Preview.select().where(Preview.id == made.id).first()
    assert (row["deployment"], row["generation"], row["applied_generation"]) == (dep_id, 2, 1)

    queued = await runtime.queue().count("queued")
    assert (await preview_images.check_waiting())["updates"] == [made.id]
    assert await runtime.queue().count("queued") == queued + 1  # its reconcile, again

    long_ago = datetime.now(UTC) - timedelta(minutes=31)
    await Preview.update({Preview.updated_at: long_ago}).where(Preview.id == made.id).run()
    assert await previews.reconcile(made.id) == "gave up waiting for the image"
    row = await Preview.select().where(Preview.id == made.id).first()
    assert row["applied_generation"] == 2
    assert row["error"] == (
        "The image shop/pv-web:sha-bbbbbbb did not appear in the registry within 30 minutes; "
        "the previous deployment keeps running."
    )
    running = await Deployment.select(Deployment.status).where(Deployment.id == dep_id).first()
    assert running == {"status": status.RUNNING}
