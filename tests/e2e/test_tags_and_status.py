"""Issue 16, items 2 and 7, in headless Chromium against a real `shoal up` with its local agent
and a real registry holding v1 and v2:

- the picked tag survives a refused form (the dropdown loads over HTMX after the re-render),
  Clone starts from its source's tag and stays "Clone <name>" after an error;
- a deployment failing on a tag the registry does not have says so in words (Docker's text one
  click away); the green toast of a retry turns into the failure it became; "Change tags and
  retry" reruns the same deployment with another tag (run 3 of that deployment); after a delete
  no step waits for ever.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
SLOW = 90_000  # ms: a first pull and start on a busy two-core machine


@pytest.fixture(scope="module")
def tagged_images(registry, docker_client, busybox_image):
    for tag in ("v1", "v2"):
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "Dockerfile").write_text(
                f"FROM {busybox_image}\n"
                f"RUN mkdir -p /www && echo 'tags {tag}' > /www/index.html\n"
                'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
            )
            docker_client.images.build(path=tmp, tag=f"shoal-test/tags:{tag}", rm=True)
        registry.push(f"shoal-test/tags:{tag}", "shop/tags", tag)
    return registry


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


@pytest.fixture(scope="module")
def world(tagged_images, shoal_with_agent):
    """A selectable service (v*) in a one-service project, on the session's `shoal up`."""
    api = shoal_with_agent.api
    service = {
        "name": "tags-web",
        "registry_id": shoal_with_agent.registry_id,
        "image": "shop/tags",
        "tag_mode": "selectable",
        "tag_pattern": "v*",
        "port": 8080,
        "health_check": {"kind": "http", "path": "/"},
        "cpu": 0.1,
        "memory_mb": 32,
    }
    svc = ok(api.post("/services", json=service))
    project = ok(api.post("/projects", json={"name": "tags", "cpu": 0.1, "memory_mb": 32}))
    node = {"id": "web", "kind": "service", "config": {"service_id": svc["id"]}}
    graph = {"nodes": [node], "edges": [], "layout": {}, "message": "one web service"}
    ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
    yield {
        "shoal": shoal_with_agent.up,
        "api": api,
        "env": shoal_with_agent.env,
        "project": project,
    }
    shoal_with_agent.delete_deployments()


async def signed_in(browser, shoal):
    context, page = await browser_sign_in(browser, shoal.url, "ops", "ops-password-1")
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page


async def tag_picked(page) -> str:
    """The web service's dropdown once the HTMX load has put it in the form."""
    await page.wait_for_selector("select[name=tag_web]")
    return await page.input_value("select[name=tag_web]")


async def test_the_picked_tag_survives_errors_and_clone_starts_from_its_source(world, browser):
    api, project = world["api"], world["project"]
    context, page = await signed_in(browser, world["shoal"])
    await page.goto(f"/deployments/new?project_id={project['id']}")
    assert await tag_picked(page) == "v2"  # the newest comes first
    await page.select_option("select[name=tag_web]", "v1")
    await page.fill("#f-name", "Not A Label")
    await page.click("button[type=submit]:has-text('Deploy')")
    await page.wait_for_selector("#e-name")  # refused: the form is back with the error
    assert await page.text_content("h1") == "New deployment"
    assert await tag_picked(page) == "v1"  # not the newest again

    await page.fill("#f-name", "keep-v1")
    await page.click("button[type=submit]:has-text('Deploy')")
    await page.wait_for_url("**/deployments/*")
    first = ok(api.get("/deployments", params={"project_id": project["id"]}))[0]
    assert (first["name"], first["tags"]) == ("keep-v1", {"web": "v1"})

    await page.click(".actions >> text=Clone")
    await page.wait_for_selector("h1:text-is('Clone keep-v1')")
    assert await tag_picked(page) == "v1"  # the source's tag, not the newest
    await page.select_option("select[name=tag_web]", "v2")
    await page.fill("#f-name", "keep-v1")  # taken: refused
    await page.click("#new-deployment button[type=submit]")
    await page.wait_for_selector("#e-name >> text=already exists")
    assert await page.text_content("h1") == "Clone keep-v1"
    assert await tag_picked(page) == "v2"
    await page.fill("#f-name", "keep-v2")
    await page.click("#new-deployment button[type=submit]")
    await page.wait_for_selector("h1:text-is('keep-v2')")
    clone = next(
        d for d in ok(api.get("/deployments", params={"project_id": project["id"]}))
        if d["name"] == "keep-v2"
    )  # fmt: skip
    assert clone["tags"] == {"web": "v2"}
    assert page.js_errors == []
    await context.close()
    for dep in (first, clone):
        ok(api.delete(f"/deployments/{dep['id']}"))


async def test_messages_follow_a_deployment_that_fails_on_a_missing_tag(world, browser):
    api = world["api"]
    dep = ok(
        api.post(
            "/deployments",
            json={
                "project_id": world["project"]["id"],
                "environment_id": world["env"]["id"],
                "name": "stale",
                "tags": {"web": "v9"},  # allowed by v*, never pushed
            },
        )
    )
    context, page = await signed_in(browser, world["shoal"])
    await page.goto(f"/deployments/{dep['id']}")
    await page.wait_for_selector(".deployment-status .badge.failed", timeout=SLOW)
    words = "does not exist in the registry (tag v9 not found). Pick another tag."
    await page.wait_for_selector(f".deployment-status >> text={words}")
    raw = page.locator(".deployment-status details.raw-error").first
    assert not await raw.locator("pre").is_visible()  # Docker's own text: one click away
    await raw.locator("summary").click()
    assert "manifest unknown" in await raw.locator("pre").inner_text()

    await page.click(".actions button:text-is('Retry')")  # the same tag: fails again
    toast = page.locator(f"#toast-deployment-{dep['id']}")
    await toast.filter(has_text="Retrying 'stale'").wait_for()
    await page.locator(f"#toast-deployment-{dep['id']}.toast-error").wait_for(timeout=SLOW)
    assert await toast.inner_text() == "'stale' failed: what went wrong is shown below."
    assert await page.locator(".toast-success").count() == 0  # no green toast over a failure

    await page.click(".actions >> text=Change tags and retry")
    await page.wait_for_selector("h1:text-is('Change tags and retry stale')")
    assert await tag_picked(page) == "v9"  # kept, and marked as missing
    assert "not in the registry's list" in await page.inner_text("select[name=tag_web]")
    await page.select_option("select[name=tag_web]", "v2")
    await page.click("#new-deployment button[type=submit]")
    await page.wait_for_url(f"**/deployments/{dep['id']}")
    await page.wait_for_selector(".deployment-status .badge.running", timeout=SLOW)
    await toast.filter(has_text="'stale' is running.").wait_for()
    assert "toast-success" in await toast.get_attribute("class")
    assert "(run 3)" in await page.inner_text(".deployment-status h3")  # this deployment's third
    assert ok(api.get(f"/deployments/{dep['id']}"))["tags"] == {"web": "v2"}

    await page.click(".actions button:text-is('Delete')")
    await page.wait_for_selector(".deployment-status .badge.deleted", timeout=SLOW)
    await page.locator(f"#toast-deployment-{dep['id']}", has_text="was deleted").wait_for()
    steps = await page.inner_text(".deployment-status ol.steps")
    assert "removed" in steps and "waiting" not in steps
    assert page.js_errors == []
    await context.close()
