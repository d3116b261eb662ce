"""A QA engineer's journey in headless Chromium against a real `shoal up` (embedded
PostgreSQL, its own Caddy, a local agent on dockerd) and a real registry: create a
deployment in one click, watch it run, open its URL through the ingress, extend, delete.
A read-only colleague sees it but gets no action buttons."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import AgentShoal
from shoaltest.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


@pytest.fixture(scope="module")
def web_images(registry, docker_client, busybox_image):
    for tag in ("v1", "v2"):
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "Dockerfile").write_text(
                f"FROM {busybox_image}\n"
                f"RUN mkdir -p /www && echo 'shop web {tag}' > /www/index.html\n"
                'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
            )
            docker_client.images.build(path=tmp, tag=f"shoal-test/journey:{tag}", rm=True)
        registry.push(f"shoal-test/journey:{tag}", "shop/journey", tag)
    return registry


@pytest.fixture(scope="module")
def journey(shoal_with_agent, web_images):
    yield shoal_with_agent
    shoal_with_agent.delete_deployments()


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


def set_up_catalog(shoal: AgentShoal) -> dict:
    api, env = shoal.api, shoal.env
    svc = ok(
        api.post(
            "/services",
            json={
                "name": "journey-web",
                "registry_id": shoal.registry_id,
                "image": "shop/journey",
                "tag_mode": "selectable",
                "tag_pattern": "v*",
                "port": 8080,
                "health_check": {"kind": "http", "path": "/"},
                "cpu": 0.25,
                "memory_mb": 64,
            },
        )
    )
    project = ok(api.post("/projects", json={"name": "journey", "cpu": 0.5, "memory_mb": 256}))
    ok(
        api.put(
            f"/projects/{project['id']}/pipeline",
            json={
                "nodes": [{"id": "web", "kind": "service", "config": {"service_id": svc["id"]}}],
                "edges": [],
                "layout": {},
                "message": "one web service",
            },
        )
    )
    for name, level in (("dana", "full"), ("rita", "read")):
        user = ok(api.post("/users", json={"username": name, "password": f"{name}-password-1"}))
        team = ok(api.post("/teams", json={"name": f"team-{name}"}))
        ok(api.post(f"/teams/{team['id']}/members", json={"user_id": user["id"]}))
        ok(
            api.post(
                f"/teams/{team['id']}/grants",
                json={"target": "project", "target_id": project["id"], "level": level},
            )
        )
    return {"env": env, "project": project}


async def sign_in(browser, url: str, username: str):
    """A user of `set_up_catalog`, with every confirmation dialog accepted."""
    context, page = await browser_sign_in(browser, url, username, f"{username}-password-1")
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page


async def test_full_user_deploys_reaches_extends_and_deletes(journey, browser):
    shoal, api = journey.up, journey.api
    world = set_up_catalog(journey)
    context, page = await sign_in(browser, shoal.url, "dana")
    await page.goto("/deployments/new")
    await page.wait_for_selector("select[name=tag_web]")
    await page.select_option("select[name=tag_web]", "v2")
    await page.fill("#f-name", "pr-42")
    await page.click("button[type=submit]:has-text('Deploy')")
    await page.wait_for_selector("text=is on its way")
    await page.wait_for_selector(".deployment-status .badge.running", timeout=90_000)

    link = page.locator("table.urls a").first
    url = await link.get_attribute("href")
    assert url.startswith("http://web.pr-42.local.localhost:")
    site = await context.new_page()
    for _ in range(40):  # the ingress applies the new route within moments of `running`
        await site.goto(url)
        if "shop web v2" in await site.content():
            break
        await site.wait_for_timeout(250)
    assert "shop web v2" in await site.content()
    await site.close()

    await page.click("button:has-text('Extend')")
    await page.wait_for_selector("text=Extended")
    await page.click("button:has-text('Delete')")
    await page.wait_for_selector("text=everything it ran is being removed")
    await page.wait_for_selector(".deployment-status .badge.deleted", timeout=60_000)

    reader, reader_page = await sign_in(browser, shoal.url, "rita")
    deleted = {"project_id": world["project"]["id"], "status": "deleted"}
    dep_id = ok(api.get("/deployments", params=deleted))[0]["id"]
    await reader_page.goto(f"/deployments/{dep_id}")
    await reader_page.wait_for_selector("text=pr-42")
    assert await reader_page.locator("button:has-text('Extend')").count() == 0
    await reader.close()
    await context.close()
    assert world["env"]["base_domain"] == "localhost"


async def test_read_only_user_sees_a_running_deployment_without_actions(journey, browser):
    shoal, api, env = journey.up, journey.api, journey.env
    project = next(p for p in ok(api.get("/projects")) if p["name"] == "journey")
    dep = ok(
        api.post(
            "/deployments",
            json={
                "project_id": project["id"],
                "environment_id": env["id"],
                "name": "shared",
                "tags": {"web": "v1"},
            },
        )
    )
    context, page = await sign_in(browser, shoal.url, "rita")
    await page.goto(f"/deployments/{dep['id']}")
    await page.wait_for_selector(".deployment-status .badge.running", timeout=90_000)
    for label in ("Extend", "Delete", "Clone", "Retry"):
        assert await page.locator(f".actions >> text={label}").count() == 0
    await context.close()
    ok(api.delete(f"/deployments/{dep['id']}"))


CHATTY = (
    "sh -c 'httpd -p 8080 -h /www; i=0; while :; do n=0; while [ $n -lt 200 ]; do "
    'echo "line $i"; i=$((i+1)); n=$((n+1)); done; usleep 50000; done\''
)


async def test_log_viewer_follows_a_chatty_service_and_stays_bounded(journey, browser):
    """About 4,000 lines/s into one tab: the viewer keeps 5,000 lines and says what it dropped."""
    shoal, api, env, registry_id = journey.up, journey.api, journey.env, journey.registry_id
    svc = ok(
        api.post(
            "/services",
            json={
                "name": "chatty",
                "registry_id": registry_id,
                "image": "shop/journey",
                "tag_mode": "pinned",
                "tag": "v1",
                "port": 8080,
                "command": CHATTY,
                "health_check": {"kind": "tcp"},
                "cpu": 0.25,
                "memory_mb": 64,
            },
        )
    )
    project = ok(api.post("/projects", json={"name": "chatty", "cpu": 0.25, "memory_mb": 64}))
    node = {"id": "chatty", "kind": "service", "config": {"service_id": svc["id"]}}
    ok(
        api.put(
            f"/projects/{project['id']}/pipeline", json={"nodes": [node], "edges": [], "layout": {}}
        )
    )
    dep = ok(
        api.post(
            "/deployments",
            json={"project_id": project["id"], "environment_id": env["id"], "name": "talky"},
        )
    )
    context, page = await browser_sign_in(browser, shoal.url, "ops", "ops-password-1")
    await page.goto(f"/deployments/{dep['id']}")
    await page.wait_for_selector(".deployment-status .badge.running", timeout=90_000)
    await page.reload()  # the viewer follows the service from the page's start
    # a locator, not wait_for_function: the page's CSP forbids the eval that one needs
    await page.locator(".logs-lines", has_text="earlier lines skipped").wait_for(timeout=60_000)
    text = await page.locator(".logs-lines").text_content()
    kept = text.splitlines()
    assert kept[0].startswith("… ") and len(kept) <= 5001
    assert kept[-1].startswith("line ")
    await page.click("button.logs-toggle")  # pause: the view stops moving
    frozen = await page.locator(".logs-lines").text_content()
    await page.wait_for_timeout(1000)
    assert await page.locator(".logs-lines").text_content() == frozen
    await context.close()
    ok(api.delete(f"/deployments/{dep['id']}"))
