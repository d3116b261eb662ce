"""The Previews tab and the deployment page's preview line, rendered by the real app: admins
add rules (a refused one re-renders with the error and the input kept, secrets not echoed),
full access approves a pending fork, read access sees no buttons, deliveries show their
outcome and can be redelivered."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from core.domain.previews import PreviewRef
from core.services import previews, teams, webhooks
from core.tables.previews import Preview, WebhookDelivery

from .conftest import SECRET

FORK = PreviewRef(
    number=42,
    branch="fix/login",
    head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    author="stranger",
    url="https://github.com/Codertocat/Hello-World/pull/42",
    is_fork=True,
)


async def sign_in(client, username: str, password: str) -> None:
    assert (await client.login(username, password)).status_code == 303


async def test_admins_add_rules_and_a_refused_one_keeps_the_input(client, pworld):
    await sign_in(client, "admin", "admin-password-1")
    tab = await client.page(f"/projects/{pworld.project_id}/previews")
    assert tab.status_code == 200 and "Codertocat/Hello-World" in tab.text
    assert SECRET not in tab.text and "forge-token-1" not in tab.text
    form = {
        "environment_id": str(pworld.env_id),
        "forge": "gitlab",
        "repository": "group/shop",
        "tag_templates": "nope=pr-{number}",
        "webhook_secret": "very-secret-value",
        "ttl_hours": "24",
    }
    refused = await client.form(f"/projects/{pworld.project_id}/previews/rules", form)
    assert refused.status_code == 422
    assert "not a selectable service" in refused.text and "group/shop" in refused.text
    assert "very-secret-value" not in refused.text
    form["tag_templates"] = "web=mr-{number}"
    added = await client.form(f"/projects/{pworld.project_id}/previews/rules", form)
    assert added.status_code == 303
    assert "group/shop" in (await client.page(f"/projects/{pworld.project_id}/previews")).text
    project = await client.page(f"/projects/{pworld.project_id}")
    assert f'href="/projects/{pworld.project_id}/previews"' in project.text


async def test_full_access_approves_a_pending_fork_and_the_deployment_says_what_it_previews(
    client, pworld
):
    preview = await previews.apply(pworld.rule_id, FORK)
    await previews.reconcile(preview.id)
    await teams.grant(pworld.admin, pworld.team_id, "project", pworld.project_id, "read")
    await sign_in(client, "quinn", "quinn-password-1")
    tab = await client.page(f"/projects/{pworld.project_id}/previews")
    assert "awaiting approval" in tab.text and "stranger (fork)" in tab.text
    assert "/approve" not in tab.text  # read access: no buttons
    refused = await client.form(f"/projects/{pworld.project_id}/previews/{preview.id}/approve", {})
    assert refused.status_code == 403
    await teams.grant(pworld.admin, pworld.team_id, "project", pworld.project_id, "full")
    tab = await client.page(f"/projects/{pworld.project_id}/previews")
    assert f"/previews/{preview.id}/approve" in tab.text
    done = await client.form(f"/projects/{pworld.project_id}/previews/{preview.id}/approve", {})
    assert done.status_code == 303
    row = await previews.preview_row(preview.id)
    assert row["approval"] == "approved" and row["approved_by"] == "quinn"
    page = await client.page(f"/deployments/{row['deployment']}")
    assert page.status_code == 200
    assert 'href="https://github.com/Codertocat/Hello-World/pull/42"' in page.text
    assert "PR #42" in page.text and "fix/login" in page.text and "stranger" in page.text
    assert "/pull/42/commits/ec26c3e57ca3a959ca5aad62de7213c562f8c821" in page.text


async def test_deliveries_show_their_outcome_and_admins_redeliver(client, pworld):
    body = (Path(__file__).parents[2] / "data/forges/github/pull_request.opened.json").read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "x-github-event": "pull_request",
        "x-github-delivery": "p-1",
        "x-hub-signature-256": signature,
    }
    assert (await webhooks.receive("github", headers, body)).status_code == 202
    delivery = (await WebhookDelivery.select().first().run())["id"]
    await sign_in(client, "admin", "admin-password-1")
    tab = await client.page(f"/projects/{pworld.project_id}/previews")
    assert "opened: preview of #2" in tab.text
    assert f"/previews/deliveries/{delivery}/redeliver" in tab.text
    again = await client.form(
        f"/projects/{pworld.project_id}/previews/deliveries/{delivery}/redeliver", {}
    )
    assert again.status_code == 303
    assert (await Preview.select(Preview.generation).first().run())["generation"] == 2


async def test_admins_edit_a_rule_and_secrets_left_empty_are_kept(client, pworld):
    from core.services import preview_rules

    await sign_in(client, "admin", "admin-password-1")
    url = f"/projects/{pworld.project_id}/previews/rules/{pworld.rule_id}"
    form_page = await client.page(url)
    assert form_page.status_code == 200
    assert "web=pr-{number}" in form_page.text and "Codertocat/Hello-World" in form_page.text
    assert SECRET not in form_page.text and "forge-token-1" not in form_page.text
    data = {
        "environment_id": str(pworld.env_id),
        "forge": "github",
        "repository": "Codertocat/Hello-World",
        "tag_templates": "web=sha-{sha9}",
        "ttl_hours": "12",
    }
    refused = await client.form(url, data)
    assert refused.status_code == 422 and "Unknown placeholder {sha9}" in refused.text
    assert "web=sha-{sha9}" in refused.text  # the input is kept
    data["tag_templates"] = "web=sha-{sha7}"
    assert (await client.form(url, data)).status_code == 303
    row = await preview_rules.rule_row(pworld.rule_id)
    assert row["ttl_hours"] == 12 and row["tag_templates"] == {"web": "sha-{sha7}"}
    assert (
        preview_rules.webhook_secret(row) == SECRET
        and preview_rules.api_token(row) == "forge-token-1"
    )
