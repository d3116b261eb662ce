"""The previews JSON API: rules (admins; secrets write-only), previews with Approve / Reject
(full access), deliveries with their outcome and "redeliver" (admins)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from core.services import accounts, teams
from core.tables.previews import Preview
from shoaltest.web import api_client

from .conftest import SECRET

DATA = Path(__file__).parents[2] / "data" / "forges"


async def test_admins_manage_rules_and_secrets_never_come_back(web_app, pworld):
    admin = await accounts.get_user(pworld.admin.id)
    async with await api_client(web_app, admin) as api:
        listed = await api.get(f"/api/v1/projects/{pworld.project_id}/preview-rules")
        assert listed.status_code == 200
        [rule] = listed.json()
        assert rule["has_webhook_secret"] and rule["has_api_token"]
        assert SECRET not in listed.text and "forge-token-1" not in listed.text
        created = await api.post(
            f"/api/v1/projects/{pworld.project_id}/preview-rules",
            json={
                "environment_id": pworld.env_id,
                "forge": "gitlab",
                "repository": "group/shop",
                "tag_templates": {"web": "mr-{number}"},
                "webhook_secret": "gl-secret-42",
            },
        )
        assert created.status_code == 201, created.text
        assert "gl-secret-42" not in created.text
        bad = await api.post(
            f"/api/v1/projects/{pworld.project_id}/preview-rules",
            json={
                "environment_id": pworld.env_id,
                "repository": "x/y",
                "tag_templates": {"nope": "pr-{number}"},
                "webhook_secret": "s",
            },
        )
        assert bad.status_code == 422 and "not a selectable service" in bad.json()["detail"]
        changed = await api.put(
            f"/api/v1/preview-rules/{created.json()['id']}",
            json={"environment_id": pworld.env_id, "forge": "gitlab", "repository": "group/shop",
                  "tag_templates": {"web": "mr-{number}"}, "ttl_hours": 5},
        )  # fmt: skip
        assert changed.status_code == 200 and changed.json()["ttl_hours"] == 5
        assert changed.json()["has_webhook_secret"]  # left out: kept
        gone = await api.delete(f"/api/v1/preview-rules/{created.json()['id']}")
        assert gone.status_code == 204


async def test_users_see_previews_of_visible_projects_and_full_access_approves(
    web_app, client, pworld
):
    body = (DATA / "github" / "pull_request.opened.json").read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "a-1",
        "X-Hub-Signature-256": signature,
    }
    assert (
        await client.post("/api/v1/previews/webhooks/github", content=body, headers=headers)
    ).status_code == 202
    await Preview.update({Preview.approval: "pending"}).where(Preview.number == 2).run()
    preview_id = (await Preview.select(Preview.id).first().run())["id"]
    quinn = await accounts.get_user(pworld.user.id)
    async with await api_client(web_app, quinn) as api:
        assert (await api.get(f"/api/v1/projects/{pworld.project_id}/previews")).status_code == 404
        assert (await api.post(f"/api/v1/previews/{preview_id}/approve")).status_code == 404
        await teams.grant(pworld.admin, pworld.team_id, "project", pworld.project_id, "read")
        [seen] = (await api.get(f"/api/v1/projects/{pworld.project_id}/previews")).json()
        assert (seen["number"], seen["approval"], seen["author"]) == (2, "pending", "Codertocat")
        assert (await api.post(f"/api/v1/previews/{preview_id}/approve")).status_code == 403
        rule = (
            await api.post(
                f"/api/v1/projects/{pworld.project_id}/preview-rules",
                json={"environment_id": pworld.env_id},
            )
        ).status_code
        assert rule == 403
        await teams.grant(pworld.admin, pworld.team_id, "project", pworld.project_id, "full")
        approved = await api.post(f"/api/v1/previews/{preview_id}/approve")
        assert approved.status_code == 200 and approved.json()["approval"] == "approved"
        again = await api.post(f"/api/v1/previews/{preview_id}/reject")
        assert again.status_code == 409
        [delivery] = (
            await api.get(f"/api/v1/projects/{pworld.project_id}/webhook-deliveries")
        ).json()
        assert delivery["outcome"] == "opened: preview of #2" and delivery["delivery_id"] == "a-1"
        assert (
            await api.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver")
        ).status_code == 403
    admin = await accounts.get_user(pworld.admin.id)
    async with await api_client(web_app, admin) as api:
        redone = await api.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver")
        assert redone.status_code == 200 and redone.json()["outcome"].startswith("opened")
    row = await Preview.select().first().run()
    assert row["generation"] == 3  # the event, the approval, the redelivery
