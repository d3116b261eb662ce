"""The webhook endpoints on the real app and database, fed GitHub's published payloads (and
GitLab's and Gitea's documented ones): a signed `opened` makes a preview; a bad signature is a
401 and stores nothing; the same delivery twice works once; malformed JSON is a 400; a huge
body is a 413; other events are acknowledged and ignored; `closed` removes the preview."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from core.services import preview_rules
from core.tables.previews import Preview, WebhookDelivery

from .conftest import SECRET, rule_input

DATA = Path(__file__).parents[2] / "data" / "forges"
URL = "/api/v1/previews/webhooks"


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github(name: str, delivery: str, *, secret: str = SECRET, event: str = "pull_request"):
    body = (DATA / "github" / name).read_bytes()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signed(body, secret),
        "Content-Type": "application/json",
    }
    return body, headers


async def test_a_signed_opened_event_makes_a_preview_once_per_delivery(client, pworld):
    body, headers = github("pull_request.opened.json", "d-1")
    answer = await client.post(f"{URL}/github", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["detail"] == "opened: preview of #2"
    again = await client.post(f"{URL}/github", content=body, headers=headers)
    assert again.status_code == 200 and "already" in again.json()["detail"]
    [preview] = await Preview.select().run()
    assert (preview["number"], preview["generation"]) == (2, 1)
    assert preview["head_sha"] == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    [delivery] = await WebhookDelivery.select().run()
    assert (delivery["source"], delivery["delivery_id"], delivery["number"]) == ("github", "d-1", 2)
    assert delivery["payload_size"] == len(body) and SECRET not in delivery["payload"]


async def test_a_bad_or_missing_signature_is_401_and_changes_nothing(client, pworld):
    body, headers = github("pull_request.opened.json", "d-2", secret="wrong")
    answer = await client.post(f"{URL}/github", content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"status_code": 401, "detail": "The signature does not match."}
    del headers["X-Hub-Signature-256"]
    assert (await client.post(f"{URL}/github", content=body, headers=headers)).status_code == 401
    assert await Preview.count() == 0 and await WebhookDelivery.count() == 0


async def test_malformed_json_is_400_and_a_huge_body_413(client, pworld):
    answer = await client.post(
        f"{URL}/github", content=b"{not json", headers={"X-GitHub-Event": "pull_request"}
    )
    assert answer.status_code == 400 and answer.json()["status_code"] == 400
    huge = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = await client.post(
        f"{URL}/github", content=huge, headers={"X-GitHub-Event": "pull_request"}
    )
    assert answer.status_code == 413
    assert await WebhookDelivery.count() == 0


async def test_other_events_are_acknowledged_and_ignored(client, pworld):
    body, headers = github("push.json", "d-3", event="push")
    push = json.loads(body)
    assert push["repository"]["full_name"] == "Codertocat/Hello-World"
    answer = await client.post(f"{URL}/github", content=body, headers=headers)
    assert answer.status_code == 202 and answer.json()["detail"].startswith("ignored: push")
    assert await Preview.count() == 0


async def test_a_repository_no_rule_follows_is_acknowledged_and_not_stored(client, pworld):
    await preview_rules.delete_rule(pworld.admin, pworld.rule_id)
    body, headers = github("pull_request.opened.json", "d-4")
    answer = await client.post(f"{URL}/github", content=body, headers=headers)
    assert answer.status_code == 202 and "No preview rule" in answer.json()["detail"]
    assert await WebhookDelivery.count() == 0


async def test_closed_closes_the_preview(client, pworld):
    body, headers = github("pull_request.opened.json", "d-5")
    assert (await client.post(f"{URL}/github", content=body, headers=headers)).status_code == 202
    body, headers = github("pull_request.closed.json", "d-6")
    answer = await client.post(f"{URL}/github", content=body, headers=headers)
    assert answer.json()["detail"] == "closed: deleting the preview"
    [preview] = await Preview.select().run()
    assert preview["state"] == "closed"


@pytest.mark.parametrize(
    ("forge", "name", "headers_of"),
    [
        (
            "gitlab",
            "merge_request.open.json",
            lambda body: {"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": SECRET,
                          "X-Gitlab-Event-UUID": "u-1"},
        ),
        (
            "gitea",
            "pull_request.opened.json",
            lambda body: {"X-Gitea-Event": "pull_request", "X-Gitea-Delivery": "g-1",
                          "X-Gitea-Signature": signed(body)[7:]},
        ),
    ],
)  # fmt: skip
async def test_gitlab_and_gitea_open_previews_with_their_own_checks(
    client, pworld, forge, name, headers_of
):
    repository = {"gitlab": "gitlabhq/gitlab-test", "gitea": "gitea/webhooks"}[forge]
    await preview_rules.create_rule(
        pworld.admin,
        pworld.project_id,
        rule_input(pworld.env_id, forge=forge, repository=repository),
    )
    body = (DATA / forge / name).read_bytes()
    answer = await client.post(f"{URL}/{forge}", content=body, headers=headers_of(body))
    assert answer.status_code == 202, answer.text
    assert answer.json()["detail"].startswith("opened: preview of #")
    wrong = {**headers_of(body), "X-Gitlab-Token": "nope", "X-Gitea-Signature": "0" * 64}
    refused = await client.post(f"{URL}/{forge}", content=body, headers=wrong)
    assert refused.status_code == 401
