"""The Previews tab in headless Chromium against a real `shoal up`: a signed GitHub webhook
for a pull request from a fork (GitHub's published example, its head moved to a fork) leaves
a pending card; a full-access admin approves it with the button and the card says who did."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import sign_in

pytestmark = [pytest.mark.e2e]
EXAMPLE = Path(__file__).parents[1] / "data" / "forges" / "github" / "pull_request.opened.json"
SECRET = "e2e-preview-secret"


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 300, response.text
    return response.json()


def fork_webhook(number: int) -> tuple[bytes, dict[str, str]]:
    payload = json.loads(EXAMPLE.read_text())
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["repo"]["full_name"] = "stranger/Hello-World"
    payload["pull_request"]["user"]["login"] = "stranger"
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": f"e2e-{number}",
        "X-Hub-Signature-256": signature,
    }
    return body, headers


def set_up(shoal_up) -> int:
    """A project with one selectable service and a GitHub rule; a fork's pull request #77
    received. Blocking calls: the browser part is the test."""
    token = shoal_up.create_admin("previewer", "previewer-password-1")
    api = httpx.Client(
        base_url=f"{shoal_up.url}/api/v1", timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    env = ok(api.post("/environments", json={"name": "pv-e2e", "base_domain": "pv.localhost"}))
    hub = next(r for r in ok(api.get("/registries")) if r["is_default"])
    service = ok(
        api.post(
            "/services",
            json={"name": "pv-e2e-web", "registry_id": hub["id"], "image": "e2e/pv",
                  "tag_mode": "selectable", "tag_pattern": "*", "port": 8080,
                  "cpu": 0.05, "memory_mb": 16},
        )
    )  # fmt: skip
    project = ok(api.post("/projects", json={"name": "pv-e2e", "cpu": 0.1, "memory_mb": 32}))
    node = {"id": "web", "kind": "service", "config": {"service_id": service["id"]}}
    graph = {"nodes": [node], "edges": [], "layout": {}}
    ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
    ok(
        api.post(
            f"/projects/{project['id']}/preview-rules",
            json={"environment_id": env["id"], "repository": "Codertocat/Hello-World",
                  "tag_templates": {"web": "pr-{number}"}, "webhook_secret": SECRET},
        )
    )  # fmt: skip
    body, headers = fork_webhook(77)
    url = f"{shoal_up.url}/api/v1/previews/webhooks/github"
    answer = httpx.post(url, content=body, headers=headers)
    assert answer.status_code == 202 and "waits for approval" in answer.json()["detail"]
    return project["id"]


async def test_a_pending_fork_pull_request_is_approved_on_the_previews_tab(shoal_up, browser):
    project_id = set_up(shoal_up)
    context, page = await sign_in(browser, shoal_up.url, "previewer", "previewer-password-1")
    await page.goto(f"/projects/{project_id}")
    await page.click("#project-previews-link")
    card = page.locator(".preview-card", has_text="PR #77")
    await card.locator("text=awaiting approval").wait_for()
    assert "stranger (fork)" in await card.inner_text()
    await page.locator(
        "#webhook-deliveries >> text=opened: preview of #77 waits for approval"
    ).wait_for()
    await card.locator("button.approve").click()
    await page.locator("text=PR #77 approved: it deploys now.").wait_for()
    await page.locator(".preview-card", has_text="approved by previewer").wait_for()
    assert page.js_errors == []
    await context.close()
